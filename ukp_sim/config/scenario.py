"""The Scenario: everything one run needs, read from TOML, validated and frozen.

The dataclasses below *are* the schema: each field's default and meaning is documented in place,
and the loader (``ukp_sim.scenario_loader``) refuses any key that is not a field here. Nothing in
the model mutates a Scenario; a what-if is a new file that ``extends`` another.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ukp_sim.base.distributions import Dist

DESTINATIONS = ("korttid", "home_new_services", "home_no_new_services")
KORTTID_OUTCOMES = ("home", "long_term", "death")


def _f(default, doc: str, **rules):
    """A documented field; ``rules`` are checked on load (min, max, choices, length)."""
    if isinstance(default, (list, dict)):
        raise TypeError("use a tuple or a default_factory for mutable defaults")
    return field(default=default, metadata={"doc": doc, **rules})


def _req(doc: str, **rules):
    """A documented field without a default: the scenario file must give it."""
    return field(metadata={"doc": doc, "required": True, **rules})


@dataclass(frozen=True, kw_only=True)
class Period:
    start: dt.date = _req("first day of the reported period (a TOML date, e.g. 2022-01-01)")
    years: int = _f(1, "number of calendar years reported", min=1, max=50)
    warmup_days: int = _f(
        180, "days simulated before `start` and discarded, so the run does not start empty", min=0, max=3650
    )
    followup_days: int = _f(
        30, "days simulated after the period so 30-day readmissions of its last discharges are seen", min=0, max=365
    )


@dataclass(frozen=True, kw_only=True)
class TreatmentLos:
    """Days from admission to the UKP declaration, by frailty (CFS >= patients.frail_cfs is frail)."""

    robust: Dist = _f(Dist("lognormal", 5.0, 0.9), "CFS below the frailty threshold")
    frail: Dist = _f(Dist("lognormal", 7.0, 0.9), "CFS at or above the frailty threshold")


@dataclass(frozen=True, kw_only=True)
class Hospital:
    name: str = _f("St. Olavs hospital", "the hospital's name, for reports")
    somatic_beds: int = _req("somatic beds; hospital_occupancy is measured against this", min=1)
    admissions_per_year: float = _req("somatic admissions a year, all causes and origins", min=0)
    community_share: float = _f(
        1.0, "share of admissions that come from the community's municipalities", min=0, max=1
    )
    municipal_needs_share: float = _req(
        "share of the community's admissions that need municipal services after discharge (they become UKP)",
        min=0, max=1,
    )
    season_profile: tuple[float, ...] = _f(
        (1.0,) * 12, "relative admissions per month, January first; normalised to mean 1", length=12, min=0
    )
    weekday_profile: tuple[float, ...] = _f(
        (1.0,) * 7, "relative admissions per weekday, Monday first; normalised to mean 1", length=7, min=0
    )
    other_los: Dist = _f(
        Dist("lognormal", 3.9, 1.2), "length of stay (days) of admissions that need no municipal services"
    )
    treatment_los: TreatmentLos = _f(TreatmentLos(), "days from admission to the UKP declaration")
    declaration_hours: tuple[float, ...] = _f(
        (8.0, 15.0), "clock hours [from, to) in which the hospital declares patients ready", length=2, min=0, max=24
    )
    declaration_weekdays: tuple[str, ...] = _f(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "weekdays on which patients are declared ready",
        choices=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    )
    off_day_declaration_share: float = _f(
        0.0, "share of patients ready on a day outside declaration_weekdays who are declared that day anyway "
        "(the rest on the next declaration day); a matter of recording practice", min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class Patients:
    cfs_distribution: tuple[float, ...] = _req(
        "share of UKP patients at Clinical Frailty Scale 1..9; must sum to 1", length=9, min=0, max=1
    )
    frail_cfs: int = _f(5, "CFS at or above which a patient counts as frail", min=1, max=9)
    new_to_services_share: float = _f(0.22, "share of UKP new to municipal services", min=0, max=1)
    terminal_share: float = _f(0.05, "share of UKP who are terminally ill", min=0, max=1)
    delirium_share: float = _f(0.10, "share of UKP with delirium", min=0, max=1)
    frail_korttid_odds_ratio: float = _f(
        1.9, "odds ratio of discharge to a korttidsplass for frail against robust patients", min=0
    )


@dataclass(frozen=True, kw_only=True)
class Destination:
    """Where UKP go from hospital; the three shares must sum to 1."""

    korttid: float = _req("share to a municipal short-term bed", min=0, max=1)
    home_new_services: float = _req("share home with new or increased home services", min=0, max=1)
    home_no_new_services: float = _req("share home with no new services", min=0, max=1)


@dataclass(frozen=True, kw_only=True)
class ReadmissionProbability:
    """30-day readmission probability by destination, for a patient of average frailty mix."""

    korttid: float = _req("after discharge to a korttidsplass", min=0, max=1)
    home_new_services: float = _req("after discharge home with new services", min=0, max=1)
    home_no_new_services: float = _req("after discharge home with no new services", min=0, max=1)


@dataclass(frozen=True, kw_only=True)
class Readmission:
    window_days: int = _f(30, "the readmission window (KPI 5 counts readmissions within it)", min=1, max=365)
    probability: ReadmissionProbability = _req("probability of readmission within the window")
    frail_odds_ratio: float = _f(1.9, "odds ratio of readmission for frail against robust patients", min=0)
    mean_days_to_readmission: float = _f(
        10.0, "mean days from discharge to readmission (exponential, truncated to the window)", min=0.01
    )
    needs_municipal_services: float = _f(
        0.85, "share of readmitted UKP patients who need municipal services again", min=0, max=1
    )


@dataclass(frozen=True, kw_only=True)
class Reception:
    weekdays: tuple[str, ...] = _f(
        ("mon", "tue", "wed", "thu", "fri"), "weekdays the municipality receives patients",
        choices=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    )
    open_hour: float = _f(8.0, "clock hour reception opens", min=0, max=24)
    close_hour: float = _f(15.5, "clock hour after which no patient is received that day", min=0, max=24)
    closed_on_public_holidays: bool = _f(True, "no reception on Norwegian public holidays")
    holiday_capacity_factor: float = _f(
        0.85, "share of korttidsplasser and home-service intake open in the summer and Christmas holidays",
        min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class KorttidUnitSpec:
    beds: int = _req("short-term beds in the unit", min=0)
    los: Dist | None = _f(None, "length of stay (days) in this unit; default: the municipality's korttid.los")
    opens: dt.date | None = _f(None, "first day the unit takes patients (a TOML date); default: open all along")
    closes: dt.date | None = _f(None, "first day the unit no longer takes patients; default: never")


@dataclass(frozen=True, kw_only=True)
class KorttidOutcomes:
    """How korttid stays end (readmissions come from [readmission]); shares must sum to 1."""

    home: float = _req("home, with or without services", min=0, max=1)
    long_term: float = _req("to a long-term place (waiting in the korttidsplass for one)", min=0, max=1)
    death: float = _req("death in the korttidsplass", min=0, max=1)


@dataclass(frozen=True, kw_only=True)
class Korttid:
    units: dict[str, KorttidUnitSpec] = _req("the municipality's short-term units, by name")
    los: Dist = _f(Dist("lognormal", 25.0, 0.8), "default length of stay (days) for units that give none")
    outcomes: KorttidOutcomes = _req("how stays end")
    direct_admissions_per_year: float = _f(
        0.0, "korttid admissions from home (not from hospital) a year; they compete for the same beds", min=0
    )


@dataclass(frozen=True, kw_only=True)
class Municipality:
    name: str = _req("the municipality's name (the key of its table)")
    population: int = _req("inhabitants, 1 Jan of the base year", min=0)
    admission_rate_factor: float = _f(
        1.0, "admissions per inhabitant relative to the community average", min=0
    )
    decision_hours: Dist = _f(
        Dist("lognormal", 6.0, 1.5), "hours from the UKP notice until the municipality has decided and planned"
    )
    complex_share: float = _f(
        0.0, "share of UKP whose municipal planning takes days or weeks whatever the free capacity "
        "(a particular place to find, a home to adapt, a guardian to appoint)", min=0, max=1,
    )
    complex_planning_days: Dist = _f(
        Dist("lognormal", 7.0, 1.0), "extra days of planning for those patients, on top of decision_hours"
    )
    destination: Destination = _req("destination mix of this municipality's UKP")
    reception: Reception = _f(Reception(), "when the municipality receives patients")
    home_service_intake_per_day: float = _req(
        "new home-service patients the municipality can start per reception day", min=0
    )
    korttid: Korttid = _req("short-term beds (korttidsplasser)")
    long_term_vacancies_per_year: float = _req(
        "long-term places (langtidsplasser) that free up a year for patients waiting in korttid", min=0
    )


@dataclass(frozen=True, kw_only=True)
class InitialState:
    """Patients present when the simulation starts (instead of, or besides, a warm-up)."""

    korttid_occupied: int = _f(0, "korttidsplasser occupied at the start", min=0)
    ukp_waiting: int = _f(0, "UKP already waiting in hospital at the start", min=0)


@dataclass(frozen=True, kw_only=True)
class CalendarSpec:
    summer_holiday: tuple[str, ...] = _f(
        ("07-01", "08-10"), "first and last day (MM-DD) of the summer holiday period", length=2
    )
    christmas: tuple[str, ...] = _f(
        ("12-22", "01-02"), "first and last day (MM-DD) of the Christmas period (may wrap the year)", length=2
    )


@dataclass(frozen=True, kw_only=True)
class Costs:
    dognpris: dict[str, float] = _req("the municipal payment per UKP-day (NOK), by year")
    dognpris_growth: float = _f(
        0.04, "yearly growth used for years after the last given døgnpris", min=-0.5, max=1
    )


@dataclass(frozen=True, kw_only=True)
class KpiSpec:
    ukp_days_by: str = _f(
        "day", "'day': each UKP-day counts in the year/month it falls on; 'discharge': in the discharge's",
        choices=("day", "discharge"),
    )
    cost_basis: str = _f(
        "ukp_days", "'ukp_days': UKP-days x døgnpris (discharge date - declaration date); "
        "'billing_days': the declaration day is billed too for stays of >= 1 day",
        choices=("ukp_days", "billing_days"),
    )


# ---------------------------------------------------------------------------------------------
# Interventions (the action plan's measures). Each is off by default and acts from its `start`
# date through its mechanism in the model (ukp_sim/interventions.py, docs/interventions.md).
# Defaults marked (est.) are estimates; evidence is cited in docs/interventions.md.
# ---------------------------------------------------------------------------------------------
def _fd(factory, doc: str, **rules):
    """A documented field whose default is a table (dict), built fresh for every instance."""
    return field(default_factory=factory, metadata={"doc": doc, **rules})


_ENABLED_DOC = "switch the intervention on (it is off by default)"
_RAMP_DOC = ("days over which coverage/effect grows linearly from 0 at `start` to full (0: full at once)")


@dataclass(frozen=True, kw_only=True)
class DischargeTeam:
    """Forsterket utskrivingsteam (pilot from 1 Sep 2024): a hospital team that follows a limited
    number of patients at once from the UKP declaration until `follow_up_days` after discharge."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 9, 1), "first day the team takes patients (action plan: pilot from 1 Sep 2024)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the referral coverage", min=0, max=3650)
    capacity: int = _f(20, "patients the team can follow at once (est.); a full team takes no one new", min=0)
    follow_up_days: float = _f(
        7.0, "days the team keeps following a patient after discharge (est.)", min=0, max=90
    )
    municipalities: tuple[str, ...] = _f((), "municipalities whose patients the team takes; empty: all")
    cfs_min: int = _f(5, "eligible if CFS >= this ...", min=1, max=10)
    new_to_services: bool = _f(True, "... or if new to municipal services")
    coverage: float = _f(
        1.0, "share of eligible patients referred to the team (each referral is taken if the team has room)",
        min=0, max=1,
    )
    home_instead_of_korttid: float = _f(
        0.15, "share of followed patients bound for a korttidsplass who go home with services instead (est.)",
        min=0, max=1,
    )
    planning_time_factor: float = _f(
        0.75, "municipal planning time of followed patients x this (est.; Cochrane CD000313: about "
        "-0.7 to -0.9 days of hospital stay)", min=0, max=1,
    )
    readmission_risk_ratio: float = _f(
        0.85, "30-day readmission risk of followed patients x this (Cochrane CD000313: RR 0.82-0.87)", min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class BedSharing:
    """Interkommunalt samarbeid om korttidsplasser: participating municipalities offer a share of
    their korttidsplasser to each other's hospital patients."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2025, 1, 1), "first day of the agreement (est.: 1 Jan 2025)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the offered share", min=0, max=3650)
    municipalities: tuple[str, ...] = _f((), "participating municipalities; empty: all")
    offered_share: float = _f(
        0.10, "share of each participant's open korttidsplasser that outsiders may use at once "
        "(Onen-Dumlu et al. 2022: pooling 10 % cut waits 25-42 %)", min=0, max=1,
    )
    offered_share_by: dict[str, float] = _fd(dict, "offered_share for named municipalities", min=0, max=1)
    exclude_terminal: bool = _f(True, "terminally ill patients wait for a bed in their own municipality")
    exclude_delirium: bool = _f(True, "patients with delirium wait for a bed in their own municipality")
    move_back: bool = _f(True, "a patient in another municipality's bed moves to a bed at home when one frees")


@dataclass(frozen=True, kw_only=True)
class EarlyAssessment:
    """Tidlig tverrfaglig vurdering (by 31 Dec 2024): municipal planning starts at the admission
    notice instead of at the UKP notice for eligible patients."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 12, 31), "first admission day covered (action plan: by 31 Dec 2024)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the coverage", min=0, max=3650)
    cfs_min: int = _f(6, "eligible if CFS >= this (a large change in function) ...", min=1, max=10)
    new_to_services: bool = _f(True, "... or if new to municipal services")
    coverage: float = _f(0.8, "share of eligible patients who get the early assessment (est.)", min=0, max=1)
    notice_hours: float = _f(24.0, "hours from admission to the admission notice (planning starts)", min=0, max=240)


@dataclass(frozen=True, kw_only=True)
class EscalationLevel:
    threshold: int = _req("UKP of this municipality waiting in hospital above which temporary beds open", min=0)
    beds: int = _req("temporary korttidsplasser opened", min=0)


@dataclass(frozen=True, kw_only=True)
class EscalationPlan:
    """Local escalation plans (by 1 Oct 2024) and the community capacity plan for seasonal peaks
    (by 1 Jun 2024). No effect sizes are published: the mechanism is modelled."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 10, 1), "first day the escalation trigger is checked (action plan: 1 Oct 2024)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the beds opened (temporary and seasonal)", min=0, max=3650)
    municipalities: tuple[str, ...] = _f((), "municipalities with a plan; empty: all")
    threshold_per_10000: float = _f(
        0.75, "default trigger: UKP waiting per 10,000 inhabitants, rounded up (est.)", min=0
    )
    min_threshold: int = _f(2, "the default trigger is at least this many UKP waiting (est.)", min=0)
    beds_per_10000: float = _f(0.5, "default temporary beds per 10,000 inhabitants, rounded (est.)", min=0)
    min_beds: int = _f(1, "default temporary beds at least (est.)", min=0)
    levels: dict[str, EscalationLevel] = _fd(dict, "threshold and beds for named municipalities")
    check_hour: float = _f(10.0, "clock hour of the daily check of the UKP count", min=0, max=24)
    lag_days: float = _f(2.0, "days from the trigger until the temporary beds open (est.)", min=0, max=60)
    duration_days: float = _f(14.0, "days the temporary beds stay open (est.)", min=0.01, max=365)
    seasonal_start: dt.date = _f(
        dt.date(2024, 6, 1), "first day of the seasonal capacity plan (action plan: 1 Jun 2024)"
    )
    peak_months: tuple[int, ...] = _f((1, 2), "months (1-12) with extra planned beds", min=1, max=12)
    peak_extra_share: float = _f(
        0.05, "extra planned beds in the peak months, as a share of the municipality's beds (est.)", min=0, max=1
    )
    no_holiday_closures: bool = _f(True, "no summer or Christmas bed closures from seasonal_start")


@dataclass(frozen=True, kw_only=True)
class EfficientKorttid:
    """Effektive korttidsforløp (during 2024): shorter korttid stays in named units."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 1, 1), "stays starting on or after this day are shorter (action plan: 2024)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the reduction", min=0, max=3650)
    reduction: dict[str, float] = _fd(
        lambda: {"Trondheim/Øya helsehus": 0.20},
        "fraction cut from the length of stay, by 'Municipality/Unit' or 'Municipality' (all its units); "
        "default Øya helsehus -20 % (KPI 6: 20 days from about 25)", min=0, max=0.9,
    )


@dataclass(frozen=True, kw_only=True)
class FrailtyPathway:
    """CFS scoring in hospital and municipalities, admission reports with functional level
    (by 1 Sep 2024): frail patients with a known CFS are planned for earlier."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 9, 1), "first admission day covered (action plan: 1 Sep 2024)")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales the coverage", min=0, max=3650)
    coverage: float = _f(0.5, "share of patients whose CFS is scored and reported (est.)", min=0, max=1)
    cfs_min: int = _f(5, "flagged if CFS >= this", min=1, max=10)
    notice_hours: float = _f(
        72.0, "hours from admission until the admission report lets the municipality start planning (est.)",
        min=0, max=480,
    )
    readmission_risk_ratio: float = _f(
        0.90, "30-day readmission risk of flagged patients x this (est., conservative: about half the effect, "
        "on the log scale, of early discharge planning in Fox et al. 2013, RR 0.78)", min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class ExtraBeds:
    beds: int = _req("extra korttidsplasser", min=0)
    unit: str = _f("ekstra", "an existing unit gets the beds; another name makes a new unit")
    los: Dist | None = _f(None, "length of stay in a new unit; default: the municipality's korttid.los")


@dataclass(frozen=True, kw_only=True)
class CapacityWhatIf:
    """Plain capacity what-ifs from a start date."""

    enabled: bool = _f(False, _ENABLED_DOC)
    start: dt.date = _f(dt.date(2025, 1, 1), "first day of the extra capacity")
    ramp_up_days: int = _f(0, _RAMP_DOC + "; scales extra beds and intake", min=0, max=3650)
    korttid: dict[str, ExtraBeds] = _fd(dict, "extra korttidsplasser by municipality")
    home_intake_per_day: dict[str, float] = _fd(
        dict, "extra home-service starts per reception day, by municipality", min=0
    )
    weekend_reception: tuple[str, ...] = _f(
        (), "municipalities that receive patients every day, public holidays included"
    )


@dataclass(frozen=True, kw_only=True)
class Interventions:
    """The action plan's measures; each is off unless `enabled = true`."""

    discharge_team: DischargeTeam = _f(DischargeTeam(), "forsterket utskrivingsteam")
    bed_sharing: BedSharing = _f(BedSharing(), "interkommunalt samarbeid om korttidsplasser")
    early_assessment: EarlyAssessment = _f(EarlyAssessment(), "tidlig tverrfaglig vurdering")
    escalation_plan: EscalationPlan = _f(EscalationPlan(), "eskaleringsplaner og sesongplanlegging")
    efficient_korttid: EfficientKorttid = _f(EfficientKorttid(), "effektive korttidsforløp")
    frailty_pathway: FrailtyPathway = _f(FrailtyPathway(), "skrøpelighetsforløp (CFS)")
    capacity: CapacityWhatIf = _f(CapacityWhatIf(), "extra capacity from a date")

    @property
    def any_enabled(self) -> bool:
        return any(getattr(self, f).enabled for f in INTERVENTION_IDS)


INTERVENTION_IDS = ("discharge_team", "bed_sharing", "early_assessment", "escalation_plan",
                    "efficient_korttid", "frailty_pathway", "capacity")


@dataclass(frozen=True, kw_only=True)
class Community:
    """The health community a scenario describes: the facts reports and calibration name, kept in
    the scenario so that another community needs a file, not a code change."""

    name: str = _f("St. Olavs health community", "the health community's name, for reports and calibrated files")
    kpi6_unit: str = _f(
        "Trondheim/Øya helsehus", "the korttid unit KPI 6 (korttid length of stay) is reported for, "
        "as 'Municipality/Unit'"
    )
    groups: tuple[str, ...] = _f(
        ("Trondheim", "Melhus", "Malvik"),
        "municipalities with their own observed figures, reported one by one; the others are reported together",
    )


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str = _req("a short name for reports")
    description: str = _f("", "what the scenario is and why")
    period: Period = _req("the simulated period")
    hospital: Hospital = _req("the hospital")
    patients: Patients = _req("the UKP patient mix")
    readmission: Readmission = _req("30-day readmissions")
    municipalities: dict[str, Municipality] = _req("the municipalities, by name")
    initial_state: dict[str, InitialState] = _f(None, "patients present at the start, by municipality")
    calendar: CalendarSpec = _f(CalendarSpec(), "holiday periods")
    costs: Costs = _req("costs")
    kpi: KpiSpec = _f(KpiSpec(), "KPI counting rules")
    interventions: Interventions = _f(Interventions(), "the action plan's interventions (all off by default)")
    community: Community = _f(Community(), "the health community: its name, KPI-6 unit and municipality groups")
    # Provenance, set by the loader, not by the file:
    source_files: tuple[str, ...] = field(default=(), metadata={"internal": True})
    content_hash: str = field(default="", metadata={"internal": True})

    @property
    def population(self) -> int:
        return sum(m.population for m in self.municipalities.values())

    def dognpris(self, year: int) -> float:
        """Døgnpris for ``year``; years after the last given grow by ``dognpris_growth`` a year."""
        given = {int(y): v for y, v in self.costs.dognpris.items()}
        if year in given:
            return given[year]
        last = max(given)
        if year > last:
            return given[last] * (1 + self.costs.dognpris_growth) ** (year - last)
        first = min(given)
        return given[first] / (1 + self.costs.dognpris_growth) ** (first - year)

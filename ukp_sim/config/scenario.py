"""The Scenario: everything one run needs, read from TOML, validated and frozen.

The dataclasses below *are* the schema: each field's default and meaning is documented in place,
and the loader (``ukp_sim.config.loader``) refuses any key that is not a field here. Nothing in
the model mutates a Scenario; a what-if is a new file that ``extends`` another.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from ukp_sim.base.distributions import Dist
from ukp_sim.base.fields import MAX_BEDS, MAX_DAYS, MAX_PER_YEAR, MAX_POPULATION, MAX_RELATIVE, _f, _fd, _req
from ukp_sim.interventions import registry

DESTINATIONS = ("korttid", "home_new_services", "home_no_new_services")
MAX_ODDS_RATIO = 1000
MAX_PRICE = 10_000_000  # NOK a UKP-day
KORTTID_OUTCOMES = ("home", "long_term", "death")


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
    somatic_beds: int = _req("somatic beds; hospital_occupancy is measured against this", min=1, max=MAX_BEDS)
    admissions_per_year: float = _req("somatic admissions a year, all causes and origins", min=0, max=MAX_PER_YEAR)
    community_share: float = _f(
        1.0, "share of admissions that come from the community's municipalities", min=0, max=1
    )
    municipal_needs_share: float = _req(
        "share of the community's admissions that need municipal services after discharge (they become UKP)",
        min=0, max=1,
    )
    season_profile: tuple[float, ...] = _f(
        (1.0,) * 12, "relative admissions per month, January first; normalised to mean 1", length=12, min=0,
        max=MAX_RELATIVE,
    )
    needs_season_amplitude: float = _f(
        1.0, "how strongly the admissions that need municipal services follow season_profile: its deviations "
        "from 1 are multiplied by this (older medical patients peak more in winter; 1: as the profile, 0: flat)",
        min=0, max=4,
    )
    weekday_profile: tuple[float, ...] = _f(
        (1.0,) * 7, "relative admissions per weekday, Monday first; normalised to mean 1", length=7, min=0,
        max=MAX_RELATIVE,
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
        1.9, "odds ratio of discharge to a korttidsplass for frail against robust patients", min=0,
        max=MAX_ODDS_RATIO,
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
    frail_odds_ratio: float = _f(1.9, "odds ratio of readmission for frail against robust patients", min=0,
                                    max=MAX_ODDS_RATIO)
    mean_days_to_readmission: float = _f(
        10.0, "mean days from discharge to readmission (exponential, truncated to the window)", min=0.01,
        max=MAX_DAYS,
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
        0.85, "share of korttidsplasser and home-service intake open in the summer holiday, and at Christmas "
        "unless christmas_capacity_factor is given", min=0, max=1,
    )
    christmas_capacity_factor: float | None = _f(
        None, "share of korttidsplasser and home-service intake open in the Christmas period; default: "
        "holiday_capacity_factor (the summer's)", min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class Office:
    """When the municipality's case workers decide (tildelingskontor). Off by default: the decision
    time then runs around the clock, as before this table existed."""

    enabled: bool = _f(False, "decision_hours are working hours, counted only while the office is open")
    weekdays: tuple[str, ...] = _f(
        ("mon", "tue", "wed", "thu", "fri"), "weekdays the office works", choices=("mon", "tue", "wed", "thu", "fri",
                                                                                   "sat", "sun"),
    )
    open_hour: float = _f(8.0, "clock hour the office opens", min=0, max=24)
    close_hour: float = _f(15.5, "clock hour the office closes", min=0, max=24)
    closed_on_public_holidays: bool = _f(True, "no decisions on Norwegian public holidays")


@dataclass(frozen=True, kw_only=True)
class KorttidUnitSpec:
    beds: int = _req("short-term beds in the unit", min=0, max=MAX_BEDS)
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
        0.0, "korttid admissions from home (not from hospital) a year; they compete for the same beds", min=0,
        max=MAX_PER_YEAR,
    )
    switch_home_after_days: float = _f(
        0.0, "days a korttid-bound UKP waits for a bed before the municipality may send them home with new home "
        "services instead, if a home-service start is free on its next reception day; 0: never", min=0, max=MAX_DAYS,
    )
    hospital_first_share: float = _f(
        0.0, "share of korttid applicants from home (direct_admissions_per_year) who wait behind every patient from "
        "hospital, whenever they applied (the municipality pays for each UKP-day, so it takes the hospital's "
        "patients first); 0: one first-come queue", min=0, max=1,
    )
    switch_home_share: float = _f(
        0.0, "share of korttid-bound UKP for whom going home instead is acceptable (the others wait for a bed)",
        min=0, max=1,
    )


@dataclass(frozen=True, kw_only=True)
class Municipality:
    name: str = _req("the municipality's name (the key of its table)")
    population: int = _req("inhabitants, 1 Jan of the base year", min=0, max=MAX_POPULATION)
    admission_rate_factor: float = _f(
        1.0, "admissions per inhabitant relative to the community average", min=0, max=MAX_RELATIVE
    )
    admission_growth: float = _f(
        0.0, "yearly growth of the municipality's admissions that need municipal services, from the year after the "
        "period's first year on (demographic growth of the old, e.g. 0.02 = 2 % a year from SSB's projections); "
        "0: none", min=-0.5, max=1.0,
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
    complex_in_treatment_share: float = _f(
        1.0, "share of those extra planning days that could run while the patient is still in treatment (an "
        "assessment visit, a guardian application); the rest (a particular place, a home adaptation) waits for "
        "the declaration, and early planning (early assessment, the frailty pathway) or a faster team does not "
        "shorten it. 1: all of it, as before this key existed. Not identified by the yearly figures: a range "
        "(est. 0.3-1.0) for the uncertainty of intervention effects", min=0, max=1,
    )
    destination: Destination = _req("destination mix of this municipality's UKP")
    reception: Reception = _f(Reception(), "when the municipality receives patients")
    office: Office = _f(Office(), "when the municipality decides: with enabled = true, decision_hours count office "
                        "hours only (a notice on Friday afternoon is decided on Monday)")
    home_service_intake_per_day: float = _req(
        "new home-service patients the municipality can start per reception day", min=0, max=MAX_BEDS
    )
    korttid: Korttid = _req("short-term beds (korttidsplasser)")
    long_term_vacancies_per_year: float = _req(
        "long-term places (langtidsplasser) that free up a year for patients waiting in korttid", min=0,
        max=MAX_PER_YEAR,
    )


@dataclass(frozen=True, kw_only=True)
class InitialState:
    """Patients present when the simulation starts (instead of, or besides, a warm-up)."""

    korttid_occupied: int = _f(0, "korttidsplasser occupied at the start", min=0, max=MAX_BEDS)
    ukp_waiting: int = _f(0, "UKP already waiting in hospital at the start", min=0, max=MAX_BEDS)
    long_term_waiting: int = _f(
        0, "of the korttidsplasser occupied, residents already waiting there for a long-term place (the waiting "
        "list fills slowly from empty, so a short warm-up needs it)", min=0, max=MAX_BEDS)


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
    dognpris: dict[str, float] = _req("the municipal payment per UKP-day (NOK), by year", max=MAX_PRICE)
    dognpris_growth: float = _f(
        0.04, "yearly growth used for years after the last given døgnpris", min=-0.5, max=1
    )
    # The prices every measure's cost is built from (docs/cost_sources.md has the sources and
    # derivations; a measure's own prices are fields of its table). 2024 NOK, not indexed.
    korttid_bed_day_nok: float = _f(
        3600.0, "cost of one korttid bed open one day, used or not (NOK; est.: 901,704 NOK a municipal "
        "institution place in 2011 (Stortinget 15:834) is 2,470 a day, and Sogndal's 2019 selvkost 2,850; "
        "grown 3.5 % a year to 2024 they give 3,860 and 3,390)", min=0, max=MAX_PRICE,
    )
    nurse_fte_year_nok: float = _f(
        950000.0, "yearly cost of one nurse FTE with social costs (NOK; derived: SSB 53,360 a month in Nov 2022, "
        "x 12, +5 % 2023, +5.2 % 2024, x 1.35 for employer's tax and pension)", min=0, max=1e8,
    )
    fte_hours_per_year: float = _f(
        1600.0, "hours of one FTE available for patient work a year (est.: 1,950 paid hours less holidays, "
        "absence and training)", min=1, max=8760,
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
# Interventions: the [interventions] table has one table per registered plug-in
# (ukp_sim/interventions/registry.py), each with the schema its module defines.
# ---------------------------------------------------------------------------------------------
def _any_enabled(self) -> bool:
    return any(getattr(self, f.name).enabled for f in dataclasses.fields(self))


_SCHEMAS: dict[tuple, type] = {}


def _interventions_schema(plugins: tuple) -> type:
    """The frozen dataclass of [interventions] for these plug-ins (the same class for the same
    plug-ins, so a temporary registration leaves no trace)."""
    cls = _SCHEMAS.get(plugins)
    if cls is None:
        cls = dataclasses.make_dataclass(
            "Interventions", [(p.id, p.Params, _f(p.Params(), p.title)) for p in plugins],
            frozen=True, kw_only=True,
            namespace={"__doc__": "The action plan's measures; each is off unless `enabled = true`.",
                       "any_enabled": property(_any_enabled), "__module__": __name__},
        )
        _SCHEMAS[plugins] = cls
    return cls


def _use_plugins(plugins: tuple) -> None:
    global Interventions, INTERVENTION_IDS
    Interventions = _interventions_schema(plugins)
    INTERVENTION_IDS = tuple(p.id for p in plugins)


Interventions = _interventions_schema(registry.plugins())
INTERVENTION_IDS = tuple(p.id for p in registry.plugins())
registry.on_change(_use_plugins)


def __getattr__(name: str):
    """The plug-ins' schema classes (a table's ``Params`` and the dataclasses in it) live in
    their modules; they stay importable from here, as before, without this module naming them."""
    import sys

    for plugin in registry.plugins():
        obj = getattr(sys.modules[plugin.__module__], name, None)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            return obj
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _no_interventions():
    return Interventions()


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
    interventions: Interventions = _fd(_no_interventions, "the action plan's interventions (all off by default)")
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

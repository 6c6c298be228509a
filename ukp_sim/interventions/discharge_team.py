"""``discharge_team`` — forsterket utskrivingsteam (pilot from 1 Sep 2024).

Mechanism: a team with ``capacity`` places (a count). At the UKP declaration an eligible patient
(CFS >= ``cfs_min``, or new to municipal services) is referred with probability ``coverage``; the
team takes the patient only if it has a free place (an overloaded team helps fewer patients,
nobody waits for it) and keeps the place until ``follow_up_days`` after discharge. A followed
patient: the municipal planning time x ``planning_time_factor``; bound for a korttidsplass, goes
home with services instead with probability ``home_instead_of_korttid``; 30-day readmission risk
x ``readmission_risk_ratio``.

Evidence: discharge planning for older medical patients cuts the hospital stay by about 0.7-0.9
days and readmissions with RR about 0.82-0.87 (Gonçalves-Bradley DC et al., Discharge planning from
hospital, Cochrane Database Syst Rev, CD000313; 2016 issue: MD -0.73 days, RR 0.87); early
discharge planning in older patients RR 0.78 (Fox MT et al. 2013, BMC Geriatrics 13:70); a
coordinating nurse in Tønsberg cut UKP-days from over 1,000 a year to 80 (single-site account, not
used for a default). The planning-time factor and the diversion home are estimates: the reviews
report the total length of stay, not how it splits between planning and waiting.
Full description: docs/interventions.md, section 1.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ukp_sim.base.destinations import HOME_NEW, KORTTID
from ukp_sim.base.fields import MAX_BEDS, _f
from ukp_sim.interventions.base import (
    ENABLED_DOC,
    RAMP_DOC,
    Episode,
    Intervention,
    Ramp,
    ScenarioCheck,
    active_share,
    covered,
)

FLAG_TEAM = 1  # followed by the discharge team
FLAG_TEAM_HOME = 2  # the team sent the patient home with services instead of to a korttidsplass


@dataclass(frozen=True, kw_only=True)
class DischargeTeam:
    """Forsterket utskrivingsteam (pilot from 1 Sep 2024): a hospital team that follows a limited
    number of patients at once from the UKP declaration until `follow_up_days` after discharge."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 9, 1), "first day the team takes patients (action plan: pilot from 1 Sep 2024)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the referral coverage", min=0, max=3650)
    capacity: int = _f(20, "patients the team can follow at once (est.); a full team takes no one new", min=0,
                      max=MAX_BEDS)
    follow_up_days: float = _f(
        7.0, "days the team keeps following a patient after discharge (est.)", min=0, max=90
    )
    municipalities: tuple[str, ...] = _f((), "municipalities whose patients the team takes; empty: all")
    cfs_min: int = _f(5, "eligible if CFS >= this ...", min=1, max=10)
    new_to_services: bool = _f(True, "... or if new to municipal services")
    coverage: float = _f(
        1.0, "share of eligible patients referred to the team (each referral is taken if the team has room)",
        min=0, max=1, plausible=(0.5, 1.0),
    )
    home_instead_of_korttid: float = _f(
        0.15, "share of followed patients bound for a korttidsplass who go home with services instead (est.)",
        min=0, max=1, plausible=(0.0, 0.3),
    )
    planning_time_factor: float = _f(
        0.75, "municipal planning time of followed patients x this (est.; Cochrane CD000313: about "
        "-0.7 to -0.9 days of hospital stay)", min=0, max=1, plausible=(0.5, 1.0),
    )
    readmission_risk_ratio: float = _f(
        0.85, "30-day readmission risk of followed patients x this (Cochrane CD000313: RR 0.82-0.87)", min=0, max=1,
        plausible=(0.69, 0.97),
    )
    # What it costs (docs/cost_sources.md): the nurses of a team of `capacity` places, from `start`.
    fte_per_place: float = _f(
        0.25, "nurse FTEs per patient the team can follow at once (est.: a nurse follows about four, the week "
        "after discharge included); the team is paid from its start, full or not", min=0, max=10,
    )
    payer: str = _f("hospital", "who pays the team (est.: it works from the wards)",
                    choices=("hospital", "municipality"))


class Plugin(Intervention):
    id = "discharge_team"
    Params = DischargeTeam
    title = "forsterket utskrivingsteam"
    labels = {"nb": "Forsterket utskrivingsteam", "en": "Enhanced discharge team"}
    colour = "#0072B2"
    evidence = {
        "nb": "Utskrivingsplanlegging for eldre med medisinsk innleggelse forkorter sykehusoppholdet (−0,73 døgn, "
              "95 % KI −1,33 til −0,12) og reduserer reinnleggelser (RR 0,87; 0,79–0,97) (Gonçalves-Bradley et "
              "al., Cochrane CD000313). Tidlig utskrivingsplanlegging: reinnleggelser RR 0,78 (0,69–0,90) (Fox et "
              "al. 2013). Teamets kapasitet, hvor mye raskere vedtaket blir og andelen som går hjem i stedet for "
              "til korttidsplass er anslag.",
        "en": "Discharge planning for older people admitted with a medical condition shortens the hospital stay "
              "(−0.73 days, 95 % CI −1.33 to −0.12) and lowers readmissions (RR 0.87; 0.79–0.97) "
              "(Gonçalves-Bradley et al., Cochrane CD000313). Early discharge planning: readmissions RR 0.78 "
              "(0.69–0.90) (Fox et al. 2013). The team's capacity, how much sooner the decision is ready and the "
              "share going home instead of to korttid are estimates.",
    }
    stay_uniforms = ("team_referral", "team_home")  # referred (u < coverage)? home instead of korttid?
    flags = {"team": FLAG_TEAM, "team_home": FLAG_TEAM_HOME}
    priced = True
    cost_fields = ("fte_per_place", "payer")

    @classmethod
    def yearly_cost(cls, params: DischargeTeam, year, activity, prices, days=None):
        share = active_share(params.start, year, days)
        nok = params.capacity * params.fte_per_place * prices.nurse_fte_year_nok * share
        return (nok, 0.0) if params.payer == "municipality" else (0.0, nok)

    @classmethod
    def check(cls, params: DischargeTeam, scenario: ScenarioCheck):
        return scenario.listed("municipalities", params.municipalities)

    def __init__(self, params: DischargeTeam, model):
        super().__init__(params, model)
        self.env = model.env
        self.ramp = Ramp.of(params, model.cal.origin)
        self.covers = covered(params.municipalities, [m.name for m in model.munis])
        self.capacity = params.capacity
        # Places taken now. Nobody waits for the team, so a count does all a SimPy resource did here,
        # without its request and release events (a hot path of the combined strategy).
        self.in_use = 0
        self.u_referral = model.uniform_column("team_referral")
        self.u_home = model.uniform_column("team_home")

    def declaration(self, ep: Episode) -> None:
        sp, patient, u = self.params, ep.patient, ep.u
        if not self.covers[patient.municipality]:
            return
        if (patient.cfs >= sp.cfs_min or (sp.new_to_services and patient.new_to_services)) \
                and u[self.u_referral] < sp.coverage * self.ramp(ep.t_declared):
            req = self.take()
            if req is not None:
                ep.flags |= FLAG_TEAM
                ep.decision *= sp.planning_time_factor
                ep.risk_ratio = min(ep.risk_ratio, sp.readmission_risk_ratio)
                ep.on_discharge(lambda: self.release_after_discharge(req))
                if ep.destination == KORTTID and u[self.u_home] < sp.home_instead_of_korttid:
                    ep.destination = HOME_NEW
                    ep.flags |= FLAG_TEAM_HOME

    def take(self):
        """A place on the team (True) if one is free now, else None (nobody waits for the team)."""
        if self.in_use >= self.capacity:
            return None
        self.in_use += 1
        return True

    def release_after_discharge(self, req) -> None:
        """The place is free again ``follow_up_days`` after the discharge."""
        self.env.timeout(self.params.follow_up_days).callbacks.append(self._free_place)

    def _free_place(self, _event) -> None:
        self.in_use -= 1

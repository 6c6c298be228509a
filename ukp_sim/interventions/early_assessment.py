"""``early_assessment`` — tidlig tverrfaglig vurdering (by 31 Dec 2024).

Mechanism: for eligible patients (new to services, or CFS >= ``cfs_min``: a large change in
function) with probability ``coverage`` (x ramp at admission), the municipality gets the admission
notice ``notice_hours`` after admission and starts planning then instead of at the UKP notice: the
decision is ready at max(declaration, admission + notice + planning time), the planning time being
the patient's own (decision hours plus any complex-planning days).

Evidence: no published effect size for this Norwegian practice; the mechanism (planning in
parallel with treatment) is modelled and the coverage is an estimate. The early-planning evidence
of the discharge team and the frailty pathway points the same way.
Full description: docs/interventions.md, section 3.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ukp_sim.base.fields import _f
from ukp_sim.interventions.base import ENABLED_DOC, RAMP_DOC, Episode, Intervention, Ramp, hourly_cost

FLAG_EARLY_ASSESSMENT = 4  # municipal planning started at the admission notice


@dataclass(frozen=True, kw_only=True)
class EarlyAssessment:
    """Tidlig tverrfaglig vurdering (by 31 Dec 2024): municipal planning starts at the admission
    notice instead of at the UKP notice for eligible patients."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 12, 31), "first admission day covered (action plan: by 31 Dec 2024)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the coverage", min=0, max=3650)
    cfs_min: int = _f(6, "eligible if CFS >= this (a large change in function) ...", min=1, max=10)
    new_to_services: bool = _f(True, "... or if new to municipal services")
    coverage: float = _f(
        0.8, "share of eligible patients who get the early assessment (est.)", min=0, max=1,
        plausible=(0.5, 1.0),
    )
    notice_hours: float = _f(
        24.0, "hours from admission to the admission notice (planning starts)", min=0, max=240,
        plausible=(12.0, 48.0),
    )
    # What it costs (docs/cost_sources.md), per UKP stay assessed.
    staff_hours: float = _f(
        1.5, "staff hours per assessment (est.: a 30-minute meeting of three: ward nurse, physician or therapist, "
        "municipal coordinator)", min=0, max=100,
    )
    municipal_share: float = _f(1 / 3, "share of those hours the municipality pays (est.: one of the three)",
                                min=0, max=1)


class Plugin(Intervention):
    id = "early_assessment"
    Params = EarlyAssessment
    title = "tidlig tverrfaglig vurdering"
    labels = {"nb": "Tidlig tverrfaglig vurdering", "en": "Early interdisciplinary assessment"}
    colour = "#009E73"
    evidence = {
        "nb": "Ingen publisert effektstørrelse for denne norske praksisen: mekanismen (kommunen planlegger "
              "parallelt med behandlingen, fra innleggelsesmeldingen) er modellert; dekningsgraden er et anslag.",
        "en": "No published effect size for this Norwegian practice: the mechanism (the municipality plans in "
              "parallel with treatment, from the admission notice) is modelled; the coverage is an estimate.",
    }
    stay_uniforms = ("early_assessment",)  # covered (u < coverage)?
    flags = {"early_assessment": FLAG_EARLY_ASSESSMENT}
    priced = True
    cost_fields = ("staff_hours", "municipal_share")

    @classmethod
    def yearly_cost(cls, params: EarlyAssessment, year, activity, prices, days=None):
        nok = activity.get("stays_early_assessment", 0.0) * params.staff_hours * hourly_cost(prices)
        return nok * params.municipal_share, nok * (1 - params.municipal_share)

    def __init__(self, params: EarlyAssessment, model):
        super().__init__(params, model)
        self.ramp = Ramp.of(params, model.cal.origin)
        self.u_covered = model.uniform_column("early_assessment")

    def declaration(self, ep: Episode) -> None:
        sp, patient = self.params, ep.patient
        if (patient.cfs >= sp.cfs_min or (sp.new_to_services and patient.new_to_services)) \
                and ep.u[self.u_covered] < sp.coverage * self.ramp(ep.t_admitted):
            ep.t_plan = min(ep.t_plan, ep.t_admitted + sp.notice_hours / 24.0)
            ep.flags |= FLAG_EARLY_ASSESSMENT

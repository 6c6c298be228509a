"""``frailty_pathway`` — CFS scoring, admission reports with functional level, GP notice (by 1 Sep 2024).

Mechanism: patients whose CFS is scored and reported (probability ``coverage`` x ramp at
admission) and is >= ``cfs_min`` are flagged: municipal planning starts ``notice_hours`` after
admission (the admission report; with early assessment too, the earlier start counts), and the
readmission risk x ``readmission_risk_ratio`` (with the discharge team too, the smaller ratio
applies: both rest on the same discharge-planning evidence). The model has no age, so the GP
notice for patients over 70 is folded into the readmission ratio.

Evidence: early discharge planning for older patients, readmissions RR 0.78 (0.69-0.90) (Fox MT
et al. 2013, BMC Geriatrics 13:70). Flagging and reporting is a lighter intervention than a
discharge-planning programme, so the default ratio 0.90 is about half that effect on the log
scale, rounded toward none (est., conservative).
Full description: docs/interventions.md, section 6.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ukp_sim.base.fields import _f
from ukp_sim.interventions.base import ENABLED_DOC, RAMP_DOC, Episode, Intervention, Ramp, hourly_cost

FLAG_FRAILTY = 8  # flagged by the frailty pathway (known CFS >= threshold)


@dataclass(frozen=True, kw_only=True)
class FrailtyPathway:
    """CFS scoring in hospital and municipalities, admission reports with functional level
    (by 1 Sep 2024): frail patients with a known CFS are planned for earlier."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 9, 1), "first admission day covered (action plan: 1 Sep 2024)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the coverage", min=0, max=3650)
    coverage: float = _f(
        0.5, "share of patients whose CFS is scored and reported (est.)", min=0, max=1,
        plausible=(0.3, 0.9),
    )
    cfs_min: int = _f(5, "flagged if CFS >= this", min=1, max=10)
    notice_hours: float = _f(
        72.0, "hours from admission until the admission report lets the municipality start planning (est.)",
        min=0, max=480, plausible=(24.0, 96.0),
    )
    readmission_risk_ratio: float = _f(
        0.90, "30-day readmission risk of flagged patients x this (est., conservative: about half the effect, "
        "on the log scale, of early discharge planning in Fox et al. 2013, RR 0.78)", min=0, max=1,
        plausible=(0.78, 1.0),
    )
    nurse_minutes: float = _f(
        15.0, "nurse minutes per UKP patient flagged (est.: scoring CFS and writing it into the admission "
        "report; docs/cost_sources.md); the hospital pays; scoring patients who are not flagged is not priced",
        min=0, max=600,
    )


class Plugin(Intervention):
    id = "frailty_pathway"
    Params = FrailtyPathway
    title = "skrøpelighetsforløp (CFS)"
    labels = {"nb": "Skrøpelighetsforløp (CFS)", "en": "Frailty pathway (CFS)"}
    colour = "#882255"
    evidence = {
        "nb": "Tidlig utskrivingsplanlegging for eldre: reinnleggelser RR 0,78 (0,69–0,90) (Fox et al. 2013). "
              "Kartlegging og rapportering av CFS er et lettere tiltak, så standardverdiene (halv effekt på "
              "reinnleggelser, planlegging fra innleggelsesrapporten) er forsiktige anslag.",
        "en": "Early discharge planning for older patients: readmissions RR 0.78 (0.69–0.90) (Fox et al. 2013). "
              "CFS scoring and reporting is a lighter intervention, so the defaults (half the readmission effect, "
              "planning from the admission report) are conservative estimates.",
    }
    stay_uniforms = ("frailty_known",)  # CFS scored and reported (u < coverage)?
    flags = {"frailty": FLAG_FRAILTY}
    priced = True
    unpriced = {"nb": "vurderingen av pasienter som ikke flagges", "en": "scoring the patients not flagged"}
    cost_fields = ("nurse_minutes",)

    @classmethod
    def yearly_cost(cls, params: FrailtyPathway, year, activity, prices, days=None):
        return 0.0, activity.get("stays_frailty", 0.0) * params.nurse_minutes / 60.0 * hourly_cost(prices)

    def __init__(self, params: FrailtyPathway, model):
        super().__init__(params, model)
        self.ramp = Ramp.of(params, model.cal.origin)
        self.u_known = model.uniform_column("frailty_known")

    def declaration(self, ep: Episode) -> None:
        sp = self.params
        if ep.patient.cfs >= sp.cfs_min and ep.u[self.u_known] < sp.coverage * self.ramp(ep.t_admitted):
            ep.t_plan = min(ep.t_plan, ep.t_admitted + sp.notice_hours / 24.0)
            ep.risk_ratio = min(ep.risk_ratio, sp.readmission_risk_ratio)
            ep.flags |= FLAG_FRAILTY

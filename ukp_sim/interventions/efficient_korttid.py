"""``efficient_korttid`` — effektive korttidsforløp (during 2024).

Mechanism: a korttid stay in a named unit that starts on or after ``start`` lasts
(1 - reduction x ramp) times the length it would have had; stays already running are unchanged.
The length comes from the patient's own uniform, so the same patient's stay is exactly that much
shorter. Keys are "Municipality/Unit" or "Municipality" (all its units, including units added by
interventions set up before this one in the registry); a unit key wins over its municipality's.
The recorded korttid length of stay (KPI 6) also includes any wait for a long-term place, which
is not shortened.

Evidence: KPI 6 of the strategy, Øya helsehus down 20 % (20 days from about 25): the default.
Full description: docs/interventions.md, section 5.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from ukp_sim.base.fields import _f, _fd
from ukp_sim.interventions.base import ENABLED_DOC, RAMP_DOC, Intervention, Ramp, ScenarioCheck


@dataclass(frozen=True, kw_only=True)
class EfficientKorttid:
    """Effektive korttidsforløp (during 2024): shorter korttid stays in named units."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 1, 1), "stays starting on or after this day are shorter (action plan: 2024)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the reduction", min=0, max=3650)
    reduction: dict[str, float] = _fd(
        lambda: {"Trondheim/Øya helsehus": 0.20},
        "fraction cut from the length of stay, by 'Municipality/Unit' or 'Municipality' (all its units); "
        "default Øya helsehus -20 % (KPI 6: 20 days from about 25)", min=0, max=0.9, plausible=(0.1, 0.3),
    )


class LosCut:
    """One unit's cut: stays starting at time t last x (1 - r * ramp(t))."""

    __slots__ = ("ramp", "reduction")

    def __init__(self, ramp: Ramp, reduction: float):
        self.ramp = ramp
        self.reduction = reduction

    def factor(self, t: float) -> float:
        r = self.ramp(t)
        return 1.0 - self.reduction * r if r > 0.0 else 1.0


class Plugin(Intervention):
    id = "efficient_korttid"
    Params = EfficientKorttid
    title = "effektive korttidsforløp"
    labels = {"nb": "Effektive korttidsforløp", "en": "Shorter korttid stays"}
    colour = "#CC79A7"
    evidence = {
        "nb": "KPI 6 i strategien: liggetiden på Øya helsehus ned 20 % (fra om lag 25 til 20 døgn). Modellen "
              "forkorter korttidsopphold som starter etter startdatoen med denne andelen.",
        "en": "KPI 6 of the strategy: the length of stay at Øya helsehus down 20 % (from about 25 to 20 days). "
              "The model shortens korttid stays starting after the start date by that share.",
    }

    @classmethod
    def check(cls, params: EfficientKorttid, scenario: ScenarioCheck):
        """Each key names a municipality, or a unit of it (the scenario's or one a plug-in adds).
        The built-in default (Øya helsehus) is only checked when the intervention is used."""
        default_keys = set(EfficientKorttid().reduction)
        for key in params.reduction:
            if key in default_keys and not params.enabled:
                continue
            where = f"reduction.{key}"
            name, _, unit = key.partition("/")
            if name not in scenario.names and key in default_keys:
                yield (where, f"the default reduction names '{name}', which is not one of the municipalities",
                       "give the reduction for this scenario's units, e.g. reduction = { \"Municipality/Unit\" = 0.2 }")
            missing = scenario.municipality(where, name)
            if missing:
                yield from missing
                continue
            units = scenario.units(name)
            if unit and unit not in units:
                close = difflib.get_close_matches(unit, units, n=1) or [
                    u for u in units if u.lower().startswith(unit.lower())][:1]
                yield (where, f"'{unit}' is not a korttid unit of {name}",
                       f"did you mean '{name}/{close[0]}'?" if close else
                       f"use 'Municipality/Unit' with one of: {', '.join(units)}, or just '{name}' for all its units")

    def __init__(self, params: EfficientKorttid, model):
        super().__init__(params, model)
        ramp = Ramp.of(params, model.cal.origin)
        self.cuts: dict[int, LosCut] = {}  # unit uid -> its cut
        for m in model.munis:
            for unit in m.units:
                r = params.reduction.get(f"{m.name}/{unit.name}", params.reduction.get(m.name))
                if r is not None and r > 0:
                    self.cuts[unit.uid] = LosCut(ramp, r)

    def korttid_los(self, unit, los: float, t: float) -> float:
        cut = self.cuts.get(unit.uid)
        return los if cut is None else los * cut.factor(t)

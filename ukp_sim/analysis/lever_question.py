"""A "what would it take" question, checked before anything runs: the criterion and the range.

* "Meets its target with confidence C" means the one-sided C confidence bound of the mean over
  replications is on the right side of the target: the upper bound for a "<=" target, the lower
  bound for a ">=" target (Student's t, n - 1 degrees of freedom). A mean that merely touches the
  target is not enough: the answer must hold up against the simulation's own noise.
* ``prepare`` checks the lever, the KPI, the place, the year, the target and the range against
  the scenario and ``targets.toml``; every problem is a ``UserError`` naming the option and the fix.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ukp_sim.analysis.levers import LEVERS, LeverSetting, lever_setting, no_such_municipality
from ukp_sim.analysis.runner import mean_ci
from ukp_sim.base.errors import UserError
from ukp_sim.config.scenario import Scenario
from ukp_sim.config.targets import Target, load_targets
from ukp_sim.kpi import DEFINITIONS, TOTAL, WHOLE_YEAR
from ukp_sim.sim.calendar import period_bounds

CONFIDENCE_RULE = (
    "A value meets the target with confidence C when the one-sided C confidence bound of the KPI's mean over "
    "the n replications is on the target's side: for a '<=' target the upper bound mean + t(C, n-1) s/sqrt(n) "
    "is <= the target; for a '>=' target the lower bound mean - t(C, n-1) s/sqrt(n) is >= the target. "
    "ci_low..ci_high is the two-sided C interval of the mean; bound is the one-sided bound used."
)


@dataclass(frozen=True)
class Point:
    """One evaluated lever value: the KPI's mean, two-sided CI, the one-sided bound and the verdict."""

    value: float
    mean: float
    ci_low: float
    ci_high: float
    bound: float
    n: int
    met: bool
    role: str = "search"  # or "reference" (lever 0, only for the paired difference)


@dataclass(frozen=True)
class Criterion:
    """A KPI of one place and year against a target, with a confidence."""

    kpi: str
    place: str  # "Total", a municipality or "Municipality/Unit"
    year: int
    target: float
    direction: str  # "<=" or ">="
    confidence: float
    target_source: str

    def point(self, value: float, values) -> Point:
        """Judge the per-replication values of one lever value (NaN values are left out)."""
        mean, lo, hi, n = mean_ci(values, self.confidence)
        # a one-sided C bound is one end of the two-sided (2C - 1) interval
        _, one_lo, one_hi, _ = mean_ci(values, 2 * self.confidence - 1)
        bound = one_hi if self.direction == "<=" else one_lo
        met = not math.isnan(bound) and (bound <= self.target if self.direction == "<=" else bound >= self.target)
        return Point(value, mean, lo, hi, bound, n, bool(met))

    def values(self, table: pd.DataFrame) -> np.ndarray:
        """This KPI's per-replication values in a replication table."""
        sel = table[(table["year"] == self.year) & (table["month"] == WHOLE_YEAR)
                    & (table["municipality"] == self.place) & (table["kpi"] == self.kpi)]
        return sel.sort_values("replication")["value"].to_numpy(dtype=float)


@dataclass(frozen=True)
class Question:
    """Everything a search needs, checked: the scenario, the lever, the criterion and the range."""

    scenario: Scenario
    setting: LeverSetting
    criterion: Criterion
    lo: float
    hi: float
    step: float


def period_years(s: Scenario) -> list[int]:
    _, start, end = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
    return list(range(start.year, (end - dt.timedelta(days=1)).year + 1))


def _place(s: Scenario, kpi: str, place: str | None, target: Target | None) -> str:
    """Where the KPI is measured: as given, else where its target applies (the community, or the
    target's unit)."""
    if place is None:
        if target is not None and target.scope.startswith("unit:"):
            units = [f"{m}/{u}" for m, spec in s.municipalities.items() for u in spec.korttid.units
                     if target.applies_to(f"{m}/{u}")]
            if len(units) != 1:
                raise UserError(f"the target of {kpi} is for the unit '{target.scope[5:]}', which scenario '{s.name}' "
                                f"{'does not have' if not units else 'has more than once'} (fix: choose the place "
                                "with --kpi-for Municipality/Unit, and give --target-value)")
            return units[0]
        return TOTAL
    if place.lower() == TOTAL.lower():
        return TOTAL
    name, _, unit = place.partition("/")
    if name not in s.municipalities:
        raise no_such_municipality(name, s, "--kpi-for")
    if unit:
        units = list(s.municipalities[name].korttid.units)
        if unit not in units:
            raise UserError(f"--kpi-for: '{unit}' is not a korttid unit of {name} (fix: use one of "
                            f"{', '.join(f'{name}/{u}' for u in units)})")
        if kpi != "korttid_los":
            raise UserError(f"--kpi-for: {kpi} is not reported per unit, only korttid_los is (fix: give the "
                            f"municipality, '{name}')")
    if kpi == "hospital_occupancy":
        raise UserError("--kpi-for: hospital_occupancy is reported for the whole community only (fix: leave out "
                        "--kpi-for)")
    return place


def _scope_words(target: Target) -> str:
    if target.scope == "community":
        return "the whole community (Total)"
    if target.scope.startswith("unit:"):
        return f"the unit {target.scope[5:]}"
    return "each municipality and the whole community"


def prepare(
    scenario: Scenario, lever: str, kpi: str, *, municipalities: list[str] | None = None, place: str | None = None,
    year: int | None = None, confidence: float = 0.95, target_value: float | None = None,
    lo: float | None = None, hi: float | None = None, resolution: float | None = None,
) -> Question:
    """Check a "what would it take" question against the scenario and the targets; every problem
    is a ``UserError`` naming the option and the fix, raised before anything runs."""
    if lever not in LEVERS:
        close = difflib.get_close_matches(lever, list(LEVERS), n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"choose from {', '.join(LEVERS)}"
        raise UserError(f"--lever: unknown lever '{lever}' (fix: {fix})")
    lv = LEVERS[lever]
    if kpi not in DEFINITIONS:
        close = difflib.get_close_matches(kpi, list(DEFINITIONS), n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"choose from {', '.join(DEFINITIONS)}"
        raise UserError(f"--kpi: unknown KPI '{kpi}' (fix: {fix})")
    if not 0.5 <= confidence < 1:
        raise UserError(f"--confidence must be at least 0.5 and below 1, got {confidence} (fix: e.g. 0.95)")
    years = period_years(scenario)
    if year is None:
        year = years[-1]
    elif year not in years:
        raise UserError(f"--year {year} is outside the period of scenario '{scenario.name}' "
                        f"({years[0]}–{years[-1]}) (fix: choose a year from {', '.join(map(str, years))})")
    targets, _ = load_targets()
    target = targets.get(kpi)
    if target_value is None and target is None:
        raise UserError(f"--kpi: {kpi} has no target in targets.toml (fix: give one with --target-value V; "
                        "lower is taken as better)")
    where = _place(scenario, kpi, place, target)
    if target_value is None and not target.applies_to(where):
        raise UserError(f"the target of {kpi} ({target.direction} {target.target:g}) applies to "
                        f"{_scope_words(target)}, not to {where} (fix: leave out --kpi-for, or give your own "
                        "--target-value for that place)")
    criterion = Criterion(
        kpi, where, year, float(target.target if target_value is None else target_value),
        target.direction if target is not None else "<=", confidence,
        "targets.toml" if target_value is None else "--target-value",
    )
    setting = lever_setting(scenario, lv, municipalities)
    spec = getattr(scenario.interventions, lv.intervention)
    if spec.enabled and spec.start > dt.date(year, 12, 31):
        raise UserError(f"the scenario's [interventions.{lv.intervention}] starts on {spec.start}, after {year}, "
                        f"so the lever {lever} would change nothing in {year} (fix: choose a later --year, or an "
                        "earlier start in the scenario)")
    if lv.integer and resolution is not None:
        raise UserError(f"--resolution: the lever {lever} takes whole numbers (fix: leave out --resolution)")
    if resolution is not None and not resolution > 0:
        raise UserError(f"--resolution must be above 0, got {resolution:g}")
    top = len(setting.places) if lv.name == "reception_days" else lv.hard_max
    lo = 0 if lo is None else lo
    hi = (lv.default_max if lv.default_max is not None else top) if hi is None else hi
    for option, v in (("--min", lo), ("--max", hi)):
        if lv.integer and v != int(v):
            raise UserError(f"{option}: the lever {lever} takes whole numbers, got {v:g}")
        if v < 0:
            raise UserError(f"{option} must be 0 or more, got {v:g}")
        if top is not None and v > top:
            raise UserError(f"{option} {v:g} is above the lever's largest value {top:g} for this scenario "
                            f"(fix: at most --max {top:g})")
    if lo > hi:
        raise UserError(f"--min {lo:g} is above --max {hi:g} (fix: give --min <= --max)")
    if lv.integer:
        lo, hi, step = int(lo), int(hi), 1
    else:
        lo, hi, step = float(lo), float(hi), float(resolution or lv.default_resolution)
    return Question(scenario, setting, criterion, lo, hi, step)

"""What would it take: the smallest change in one lever that makes a KPI meet its target.

A planner asks "how many extra korttidsplasser does Trondheim need before the community's
UKP-days meet the target?". This module answers by bisection over one *lever* (``levers``: what
each lever changes in a scenario) for the smallest value at which a KPI meets its target with a
stated confidence (``lever_question``: the criterion, and the question checked before anything
runs):

* Every candidate runs with the same seed and replications 0..n-1 (common random numbers), so two
  candidates differ by the lever and not by luck, and the KPI moves smoothly with the lever.
* The KPI is assumed to move monotonically towards its target as the lever grows (more beds never
  raise UKP-days under common random numbers; the model's functional tests check that). The search
  is then a bisection on the grid lo, lo + step, ..., hi (step 1 for whole-number levers,
  ``resolution`` for continuous ones): first hi (if even hi does not meet the target, the answer
  is "not reachable within the range"), then lo (if lo already meets it, the answer is lo), then
  halving the gap between a value that fails and one that meets until they are one step apart.
  It needs at most 2 + ceil(log2(grid steps)) evaluations. The search does not check monotonicity:
  every evaluated point is kept (the *path*) so a reader can.

The search itself (``bisect_lever``) takes the evaluation as a function, so it can be tested with
a deterministic fake; ``find_smallest`` evaluates by simulation. The names of ``levers`` and
``lever_question`` that callers use are importable from here too.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from ukp_sim.analysis.compare import paired_differences
from ukp_sim.analysis.lever_question import CONFIDENCE_RULE, Criterion, Point, Question, period_years, prepare
from ukp_sim.analysis.levers import LEVERS, START_RULE, Lever, LeverSetting
from ukp_sim.analysis.runner import run_many
from ukp_sim.base.errors import UserError
from ukp_sim.kpi import WHOLE_YEAR

__all__ = [
    "CONFIDENCE_RULE", "LEVERS", "NOT_REACHABLE", "REACHED", "REACHED_AT_MIN", "SEARCH_COLUMNS", "SEARCH_RULE",
    "START_RULE", "STATUS_TEXT", "Criterion", "Lever", "LeverSetting", "Point", "Question", "SearchResult",
    "SimulationEvaluator", "TargetResult", "bisect_lever", "find_smallest", "grid_steps", "grid_value",
    "max_evaluations", "period_years", "prepare", "search_table",
]

REACHED = "reached"
REACHED_AT_MIN = "reached_at_min"
NOT_REACHABLE = "not_reachable"
STATUS_TEXT = {
    REACHED: "reached: the smallest value on the grid that meets the target",
    REACHED_AT_MIN: "the lowest value searched already meets the target",
    NOT_REACHABLE: "not reachable within range: even the highest value searched does not meet the target",
}
SEARCH_RULE = (
    "Assumes the KPI moves monotonically towards its target as the lever grows. Bisection on the grid lo, "
    "lo + step, ..., hi (step 1 for whole-number levers, the resolution for continuous ones): evaluate hi "
    "(not met: not reachable within the range); evaluate lo (met: the answer is lo); then halve the gap "
    "between a value that fails and one that meets until they are one step apart; the answer is the one "
    "that meets. Every candidate uses the same seed and replications 0..n-1 (common random numbers)."
)


# ---------------------------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------------------------
@dataclass
class SearchResult:
    status: str  # REACHED, REACHED_AT_MIN or NOT_REACHABLE
    answer: float | None  # the smallest grid value that meets the target (None if not reachable)
    path: list[Point]  # every evaluated point, in the order evaluated
    lo: float
    hi: float
    step: float

    def at(self, value: float) -> Point:
        return next(p for p in self.path if p.value == value)

    @property
    def shown(self) -> Point:
        """The point the answer is about: the answer, or hi when not reachable."""
        return self.at(self.hi if self.answer is None else self.answer)


def grid_value(lo: float, hi: float, step: float, k: int) -> float:
    """The k-th value of the grid lo, lo + step, ..., hi (the last one is hi itself)."""
    if isinstance(lo, int) and isinstance(step, int):
        return min(hi, lo + k * step)
    return min(hi, round(lo + k * step, 10))


def grid_steps(lo: float, hi: float, step: float) -> int:
    return math.ceil((hi - lo) / step - 1e-9) if hi > lo else 0


def max_evaluations(lo: float, hi: float, step: float) -> int:
    """The most evaluations ``bisect_lever`` can need on this grid."""
    k = grid_steps(lo, hi, step)
    return 1 if k == 0 else 2 + max(0, math.ceil(math.log2(k)))


def bisect_lever(evaluate: Callable[[float], Point], lo: float, hi: float, step: float) -> SearchResult:
    """The smallest value on the grid lo..hi (spacing ``step``) whose point meets the criterion,
    assuming that once a value meets it every larger value does (see the module docstring)."""
    path: list[Point] = []

    def at(k: int) -> bool:
        p = evaluate(grid_value(lo, hi, step, k))
        path.append(p)
        return p.met

    top = grid_steps(lo, hi, step)
    if not at(top):
        return SearchResult(NOT_REACHABLE, None, path, lo, hi, step)
    if top == 0 or at(0):
        return SearchResult(REACHED_AT_MIN, lo, path, lo, hi, step)
    fails, meets = 0, top
    while meets - fails > 1:
        mid = (fails + meets) // 2
        if at(mid):
            meets = mid
        else:
            fails = mid
    return SearchResult(REACHED, grid_value(lo, hi, step, meets), path, lo, hi, step)


# ---------------------------------------------------------------------------------------------
# Evaluating by simulation
# ---------------------------------------------------------------------------------------------
@dataclass
class TargetResult:
    question: Question
    search: SearchResult
    reference: Point  # lever 0 (the scenario as given)
    difference: dict  # the paired difference of the shown point against lever 0
    replications: int
    seed: int
    tables: dict = field(default_factory=dict, repr=False)  # lever value -> replication table

    @property
    def points(self) -> list[Point]:
        """The search path, then lever 0 if the search did not evaluate it."""
        values = {p.value for p in self.search.path}
        return [*self.search.path, *([] if 0 in values else [self.reference])]


class SimulationEvaluator:
    """Evaluates lever values by simulation: replications 0..n-1 with one seed (common random
    numbers); every table is kept (by value) for the paired difference."""

    def __init__(self, q: Question, replications: int, seed: int, jobs: int = 1,
                 progress: Callable[[int], None] | None = None):
        self.q, self.replications, self.seed, self.jobs, self.progress = q, replications, seed, jobs, progress
        self.tables: dict[float, pd.DataFrame] = {}

    def table(self, value: float) -> pd.DataFrame:
        if value not in self.tables:
            scenario = self.q.setting.scenario_at(self.q.scenario, value)
            res = run_many({"": scenario}, range(self.replications), self.seed, self.jobs, self.progress)[""]
            if res.interrupted:
                raise KeyboardInterrupt
            self.tables[value] = res.table
        return self.tables[value]

    def __call__(self, value: float) -> Point:
        values = self.q.criterion.values(self.table(value))
        if values.size == 0:
            c = self.q.criterion
            raise UserError(f"the run reports no {c.kpi} for {c.place} in {c.year} (fix: choose another --kpi-for)")
        return self.q.criterion.point(value, values)


def find_smallest(q: Question, replications: int, seed: int, jobs: int = 1,
                  progress: Callable[[int], None] | None = None) -> TargetResult:
    """Search the lever, then pair the answer (or hi, if not reachable) with lever 0."""
    ev = SimulationEvaluator(q, replications, seed, jobs, progress)
    search = bisect_lever(ev, q.lo, q.hi, q.step)
    reference = replace(ev(0), role="reference") if 0 not in {p.value for p in search.path} else search.at(0)
    shown = search.shown.value
    c = q.criterion
    d = paired_differences(ev.table(0), ev.table(shown), c.confidence)
    row = d[(d["year"] == c.year) & (d["month"] == WHOLE_YEAR) & (d["municipality"] == c.place) & (d["kpi"] == c.kpi)]
    r = row.iloc[0]
    difference = {"lever_value": shown, "against": 0, "mean_difference": float(r["mean_difference"]),
                  "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]), "n": int(r["n"]),
                  "relative_change": float(r["relative_change"])}
    return TargetResult(q, search, reference, difference, replications, seed, ev.tables)


SEARCH_COLUMNS = ["step", "role", "lever", "value", "kpi", "place", "year", "mean", "ci_low", "ci_high", "bound",
                  "n", "target", "direction", "confidence", "met"]


def search_table(result: TargetResult) -> pd.DataFrame:
    """search.csv: every evaluated point, in the order evaluated (lever 0 last if only a reference)."""
    c = result.question.criterion
    rows = [{"step": i, "role": p.role, "lever": result.question.setting.lever.name, "value": p.value,
             "kpi": c.kpi, "place": c.place, "year": c.year, "mean": p.mean, "ci_low": p.ci_low,
             "ci_high": p.ci_high, "bound": p.bound, "n": p.n, "target": c.target, "direction": c.direction,
             "confidence": c.confidence, "met": p.met}
            for i, p in enumerate(result.points, start=1)]
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)

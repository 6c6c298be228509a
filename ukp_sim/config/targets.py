"""The KPI targets adopted by ASU, goal attainment and the status colour of a KPI value.

The targets, baselines and the status rule are data (``ukp_sim/data/targets.toml``, with their
sources), so a planner can see and change them without touching code. The file is checked by the
same validator as scenario files (unknown keys, types, ranges, nan/inf), so a misspelt key is a
one-line error, not a traceback.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ukp_sim.base.fields import _f, _req
from ukp_sim.base.vocabulary import TOTAL
from ukp_sim.config.loader import read_toml
from ukp_sim.config.validate import Builder

TARGETS_FILE = Path(__file__).resolve().parent.parent / "data" / "targets.toml"


@dataclass(frozen=True)
class Target:
    """One KPI's target, a ``[kpi.<id>]`` table of the targets file (``kpi`` is the table's key)."""

    kpi: str = field(metadata={"internal": True})
    number: int = _req("the KPI's number in the strategy (1-6)", min=1, max=99)
    target: float = _req("the target value for the end of the strategy period")
    direction: str = _req("'<=': at most the target is met; '>=': at least", choices=("<=", ">="))
    baseline: float = _req("the reference value goal attainment is measured from")
    baseline_note: str = _req("where the baseline comes from")
    scope: str = _req("'community' (the total only), 'all' (total and each municipality) or 'unit:<unit name>'")

    def applies_to(self, municipality: str) -> bool:
        if self.scope == "community":
            return municipality == TOTAL
        if self.scope.startswith("unit:"):
            return municipality.endswith("/" + self.scope[5:])
        return "/" not in municipality

    def met(self, value: float) -> bool:
        return value <= self.target if self.direction == "<=" else value >= self.target

    def attainment(self, value: float) -> float:
        """Share of the way from the baseline to the target: 0 at the baseline, 1 at the target."""
        if self.baseline == self.target:
            return math.nan
        return (self.baseline - value) / (self.baseline - self.target)


@dataclass(frozen=True)
class StatusRule:
    """The ``[status]`` table: when a missed target is yellow rather than red."""

    yellow_attainment: float = _req("share of the way from baseline to target that is still yellow", min=0, max=1)
    yellow_relative: float = _req("relative deviation that is still yellow where target = baseline", min=0, max=1)


@dataclass(frozen=True, kw_only=True)
class TargetsFile:
    """What a KPI targets file may contain."""

    target_year: int = _f(2025, "the year the targets are due (reports measure attainment in it)", min=2000,
                          max=2100)
    status: StatusRule = _req("the status colour rule")
    kpi: dict[str, Target] = _req("the targets, by KPI id", key_field="kpi")


@lru_cache(maxsize=4)
def load_targets(path: Path = TARGETS_FILE) -> tuple[dict[str, Target], StatusRule]:
    """The targets by KPI id and the status rule, checked (``ScenarioError`` on any problem)."""
    path = Path(path)
    b = Builder(path)
    spec = b.build(TargetsFile, read_toml(path), "")
    for kpi, t in spec.kpi.items():
        if t.scope not in ("community", "all") and not (t.scope.startswith("unit:") and t.scope[5:]):
            b.fail(f"kpi.{kpi}.scope", f"'{t.scope}' is not a scope",
                   "write 'community', 'all' or 'unit:<unit name>', e.g. 'unit:Øya helsehus'")
    return spec.kpi, spec.status


@lru_cache(maxsize=4)
def target_year(path: Path = TARGETS_FILE) -> int:
    """The year the targets are due (``target_year`` in the targets file; 2025 if it has none)."""
    path = Path(path)
    return Builder(path).build(TargetsFile, read_toml(path), "").target_year


def status(target: Target, value: float, rule: StatusRule) -> str:
    """green: target met; yellow: minor deviation (see targets.toml); red: critical deviation."""
    if value is None or math.isnan(value):
        return ""
    if target.met(value):
        return "green"
    if target.baseline == target.target:
        return "yellow" if abs(value - target.target) <= rule.yellow_relative * abs(target.target) else "red"
    return "yellow" if target.attainment(value) >= rule.yellow_attainment else "red"

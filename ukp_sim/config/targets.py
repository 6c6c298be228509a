"""The KPI targets adopted by ASU, goal attainment and the status colour of a KPI value.

The targets, baselines and the status rule are data (``ukp_sim/data/targets.toml``, with their
sources), so a planner can see and change them without touching code.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ukp_sim.base.vocabulary import TOTAL

TARGETS_FILE = Path(__file__).resolve().parent.parent / "data" / "targets.toml"


@dataclass(frozen=True)
class Target:
    kpi: str
    number: int
    target: float
    direction: str  # "<=" or ">="
    baseline: float
    baseline_note: str
    scope: str  # "community", "all" or "unit:<unit name>"

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
    yellow_attainment: float
    yellow_relative: float


@lru_cache(maxsize=4)
def load_targets(path: Path = TARGETS_FILE) -> tuple[dict[str, Target], StatusRule]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rule = StatusRule(**data["status"])
    targets = {k: Target(kpi=k, **v) for k, v in data["kpi"].items()}
    return targets, rule



@lru_cache(maxsize=4)
def target_year(path: Path = TARGETS_FILE) -> int:
    """The year the targets are due (``target_year`` in the targets file; 2025 if it has none)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return int(data.get("target_year", 2025))

def status(target: Target, value: float, rule: StatusRule) -> str:
    """green: target met; yellow: minor deviation (see targets.toml); red: critical deviation."""
    if value is None or math.isnan(value):
        return ""
    if target.met(value):
        return "green"
    if target.baseline == target.target:
        return "yellow" if abs(value - target.target) <= rule.yellow_relative * abs(target.target) else "red"
    return "yellow" if target.attainment(value) >= rule.yellow_attainment else "red"

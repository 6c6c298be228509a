"""What would it take: the smallest change in one lever that makes a KPI meet its target.

A planner asks "how many extra korttidsplasser does Trondheim need before the community's
UKP-days meet the target?". This module answers by searching over one *lever*:

* Each lever turns a number into a changed scenario **through an intervention table of the
  scenario schema** (``[interventions.capacity]``, ``[interventions.discharge_team]``,
  ``[interventions.efficient_korttid]``), so the change acts through the model's own mechanism.
  Value 0 is the scenario as given; the lever adds to what the scenario already has. A table the
  scenario leaves off is switched on with its default settings from the first simulated day
  (warm-up included), so every reported year sees the whole change; a table the scenario already
  switches on keeps its start date, ramp-up and other settings.
* "Meets its target with confidence C" means the one-sided C confidence bound of the mean over
  replications is on the right side of the target: the upper bound for a "<=" target, the lower
  bound for a ">=" target (Student's t, n - 1 degrees of freedom). A mean that merely touches the
  target is not enough: the answer must hold up against the simulation's own noise.
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
a deterministic fake; ``find_smallest`` evaluates by simulation.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ukp_sim.sim.calendar import period_bounds
from ukp_sim.analysis.compare import paired_differences
from ukp_sim.base.errors import UserError
from ukp_sim.analysis.runner import mean_ci, run_many
from ukp_sim.kpi import DEFINITIONS, TOTAL, WHOLE_YEAR
from ukp_sim.config.scenario import ExtraBeds, Scenario
from ukp_sim.config.targets import Target, load_targets

REACHED = "reached"
REACHED_AT_MIN = "reached_at_min"
NOT_REACHABLE = "not_reachable"
STATUS_TEXT = {
    REACHED: "reached: the smallest value on the grid that meets the target",
    REACHED_AT_MIN: "the lowest value searched already meets the target",
    NOT_REACHABLE: "not reachable within range: even the highest value searched does not meet the target",
}
CONFIDENCE_RULE = (
    "A value meets the target with confidence C when the one-sided C confidence bound of the KPI's mean over "
    "the n replications is on the target's side: for a '<=' target the upper bound mean + t(C, n-1) s/sqrt(n) "
    "is <= the target; for a '>=' target the lower bound mean - t(C, n-1) s/sqrt(n) is >= the target. "
    "ci_low..ci_high is the two-sided C interval of the mean; bound is the one-sided bound used."
)
SEARCH_RULE = (
    "Assumes the KPI moves monotonically towards its target as the lever grows. Bisection on the grid lo, "
    "lo + step, ..., hi (step 1 for whole-number levers, the resolution for continuous ones): evaluate hi "
    "(not met: not reachable within the range); evaluate lo (met: the answer is lo); then halve the gap "
    "between a value that fails and one that meets until they are one step apart; the answer is the one "
    "that meets. Every candidate uses the same seed and replications 0..n-1 (common random numbers)."
)
START_RULE = (
    "Lever value 0 is the scenario as given; the lever adds to what the scenario has. An intervention table "
    "the scenario leaves off is switched on with its default settings from the first simulated day (warm-up "
    "included); one the scenario switches on keeps its start date, ramp-up and other settings."
)


# ---------------------------------------------------------------------------------------------
# Levers
# ---------------------------------------------------------------------------------------------
def _table(s: Scenario, iv_id: str):
    """The intervention table a lever changes: the scenario's own if it is on; otherwise a fresh one
    with default settings, on from the first simulated day (so the reported years see all of it)."""
    spec = getattr(s.interventions, iv_id)
    if spec.enabled:
        return spec
    origin, _, _ = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
    return type(spec)(enabled=True, start=origin, ramp_up_days=0)


def _own(s: Scenario, iv_id: str) -> bool:
    return getattr(s.interventions, iv_id).enabled


def _with(s: Scenario, iv_id: str, spec) -> Scenario:
    # content_hash describes the file as loaded; a changed scenario has none
    return replace(s, interventions=replace(s.interventions, **{iv_id: spec}), content_hash="")


def _korttid_beds(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    (name,) = places
    cap = _table(s, "capacity")
    old = cap.korttid.get(name)
    extra = ExtraBeds(beds=v) if old is None else replace(old, beds=old.beds + v)
    return _with(s, "capacity", replace(cap, korttid={**cap.korttid, name: extra}))


def _home_intake(s: Scenario, v: float, places: tuple[str, ...]) -> Scenario:
    (name,) = places
    cap = _table(s, "capacity")
    intake = {**cap.home_intake_per_day, name: cap.home_intake_per_day.get(name, 0.0) + v}
    return _with(s, "capacity", replace(cap, home_intake_per_day=intake))


def _team_capacity(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    team = _table(s, "discharge_team")
    if _own(s, "discharge_team"):
        return _with(s, "discharge_team", replace(team, capacity=team.capacity + v))
    return _with(s, "discharge_team", replace(team, capacity=v, municipalities=places))


def _korttid_stay(s: Scenario, v: float, places: tuple[str, ...]) -> Scenario:
    ek = _table(s, "efficient_korttid")
    reduction = dict(ek.reduction) if _own(s, "efficient_korttid") else {}
    for name in places:
        # the municipality's key covers its other units; a unit's own key must get the cut too
        for key in [name, *(k for k in reduction if k.startswith(name + "/"))]:
            reduction[key] = 1.0 - (1.0 - reduction.get(key, 0.0)) * (1.0 - v)
    return _with(s, "efficient_korttid", replace(ek, reduction=reduction))


def _reception_days(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    cap = _table(s, "capacity")
    return _with(s, "capacity", replace(cap, weekend_reception=(*cap.weekend_reception, *places[:v])))


@dataclass(frozen=True)
class Lever:
    name: str
    intervention: str  # the [interventions.<id>] table it acts through
    integer: bool
    unit: str  # what one unit of the lever is
    changes: str  # what it changes in the model
    one_place: bool  # acts on exactly one municipality
    default_places: str  # what it acts on without --municipality
    default_max: float | None  # None: the number of municipalities it acts on
    hard_max: float | None  # the largest value allowed (None: no limit; see default_max)
    default_resolution: float
    apply: Callable[[Scenario, float, tuple[str, ...]], Scenario]
    phrase_nb: str  # "{v}" the value ("{pct}" as a percentage), "{where}" the municipalities
    phrase_en: str

    def doc(self) -> dict:
        """For run.json: what the lever is."""
        return {"name": self.name, "intervention": f"[interventions.{self.intervention}]", "unit": self.unit,
                "whole_numbers": self.integer, "changes": self.changes, "default_places": self.default_places}


LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("korttid_beds", "capacity", True, "extra korttidsplasser (beds)",
          "capacity.korttid.M.beds: extra beds in municipality M, in a new unit 'ekstra' with the municipality's "
          "korttid length of stay (or added to the scenario's own capacity entry for M); they follow the "
          "holiday cuts like other beds", True, "the most populous municipality (Trondheim)", 100, None, 1,
          _korttid_beds, "{v} ekstra korttidsplasser i {where}", "{v} extra korttidsplasser in {where}"),
    Lever("team_capacity", "discharge_team", True, "patients the discharge team follows at once",
          "discharge_team.capacity: a discharge team (forsterket utskrivingsteam, default settings) that "
          "follows at most this many patients at once; with --municipality it takes only their patients",
          False, "all municipalities", 100, None, 1, _team_capacity,
          "{v} flere plasser i utskrivingsteamet (pasienter fulgt samtidig; {where})",
          "{v} more discharge-team places (patients followed at once; {where})"),
    Lever("korttid_stay", "efficient_korttid", False, "fraction cut from every korttid stay (0.1 = 10 % shorter)",
          "efficient_korttid.reduction: every korttid stay starting in the municipalities' units is this "
          "fraction shorter (on top of any cut the scenario has: 1 - (1 - r)(1 - v)); 0 to 0.5",
          False, "all municipalities", 0.5, 0.5, 0.01, _korttid_stay,
          "{pct} kortere korttidsopphold i {where}", "korttid stays {pct} shorter in {where}"),
    Lever("reception_days", "capacity", True, "municipalities receiving patients every day",
          "capacity.weekend_reception: the first v municipalities of an order (the --municipality list as given, "
          "else all by population, largest first) receive patients every day, weekends and public holidays "
          "included, with home-service intake those days too; the sets are nested, so more is never less",
          False, "all municipalities, largest first", None, None, 1, _reception_days,
          "mottak alle dager, også helg og helligdager, i {v} kommuner ({where})",
          "reception every day, weekends and public holidays included, in {v} municipalities ({where})"),
    Lever("home_intake", "capacity", False, "extra home-service starts per reception day",
          "capacity.home_intake_per_day.M: more new home-service patients a day in municipality M (cut in the "
          "holidays like the base intake)", True, "the most populous municipality (Trondheim)", 5.0, None, 0.1,
          _home_intake, "{v:g} flere oppstarter i hjemmetjenesten per mottaksdag i {where}",
          "{v:g} more home-service starts per reception day in {where}"),
)}


@dataclass(frozen=True)
class LeverSetting:
    """A lever bound to a scenario: the municipalities it acts on (for reception_days, in order)."""

    lever: Lever
    places: tuple[str, ...]
    every_municipality: bool  # places is all of them (for the wording)

    def scenario_at(self, scenario: Scenario, value: float) -> Scenario:
        """The scenario with the lever at ``value`` (0: the scenario unchanged)."""
        if value == 0:
            return scenario
        return self.lever.apply(scenario, value, self.places)

    def where(self, value: float, lang: str) -> str:
        places = self.places[:int(value)] if self.lever.name == "reception_days" else self.places
        if self.every_municipality and self.lever.name != "reception_days":
            return "alle kommuner" if lang == "nb" else "all municipalities"
        return ", ".join(places) if places else "–"

    def phrase(self, value: float, lang: str) -> str:
        text = self.lever.phrase_nb if lang == "nb" else self.lever.phrase_en
        return text.format(v=value, pct=f"{100 * value:.3g} %", where=self.where(value, lang))


# ---------------------------------------------------------------------------------------------
# The criterion and the search
# ---------------------------------------------------------------------------------------------
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
# Checking the question before anything runs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """Everything a search needs, checked: the scenario, the lever, the criterion and the range."""

    scenario: Scenario
    setting: LeverSetting
    criterion: Criterion
    lo: float
    hi: float
    step: float


def _no_such_municipality(name: str, s: Scenario, option: str) -> UserError:
    close = difflib.get_close_matches(name, list(s.municipalities), n=1)
    fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(s.municipalities)}"
    return UserError(f"{option}: '{name}' is not a municipality of scenario '{s.name}' (fix: {fix})")


def period_years(s: Scenario) -> list[int]:
    _, start, end = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
    return list(range(start.year, (end - dt.timedelta(days=1)).year + 1))


def _setting(s: Scenario, lever: Lever, municipalities: list[str] | None) -> LeverSetting:
    if municipalities is not None:
        for name in municipalities:
            if name not in s.municipalities:
                raise _no_such_municipality(name, s, "--municipality")
        if len(set(municipalities)) != len(municipalities):
            raise UserError("--municipality: a municipality is named twice (fix: name each once)")
    if lever.one_place:
        if municipalities is not None and len(municipalities) != 1:
            raise UserError(f"--municipality: the lever {lever.name} acts on one municipality, got "
                            f"{len(municipalities)} (fix: name one)")
        biggest = max(s.municipalities.values(), key=lambda m: (m.population, m.name)).name
        return LeverSetting(lever, tuple(municipalities or [biggest]), False)
    if lever.name == "team_capacity" and _own(s, "discharge_team") and municipalities is not None:
        raise UserError("--municipality: the scenario's own discharge team already says whose patients it takes "
                        "([interventions.discharge_team].municipalities) (fix: leave out --municipality)")
    everyone = sorted(s.municipalities.values(), key=lambda m: (-m.population, m.name))
    places = tuple(municipalities) if municipalities is not None else tuple(m.name for m in everyone)
    if lever.name == "reception_days" and _own(s, "capacity"):
        already = [p for p in places if p in s.interventions.capacity.weekend_reception]
        if municipalities is not None and already:
            raise UserError(f"--municipality: {', '.join(already)} already receive(s) every day in this scenario "
                            "([interventions.capacity].weekend_reception) (fix: leave it out)")
        places = tuple(p for p in places if p not in already)
    if lever.name == "team_capacity" and municipalities is None:
        # the team's own rule: no list means every municipality; a team the scenario has keeps its list
        places = s.interventions.discharge_team.municipalities if _own(s, "discharge_team") else ()
        return LeverSetting(lever, places, not places)
    return LeverSetting(lever, places, municipalities is None)


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
        raise _no_such_municipality(name, s, "--kpi-for")
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
    setting = _setting(scenario, lv, municipalities)
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

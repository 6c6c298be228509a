"""Choosing the number of replications for a wanted precision: of each KPI's mean (``--precision
P``, a share of the mean) or of each scenario's paired difference against the baseline
(``--precision-diff D``, in the KPI's own units).

Which rule to use: a share of the mean describes one scenario well ("UKP-days within ±5 %"), but
a comparison asks about a difference that may be a small part of the level: 5 % of 9,000 UKP-days
is ±450, larger than many interventions' effects, so a comparison run to 5 % can stop with an
interval from -220 to +75 that decides nothing. ``--precision-diff`` asks instead for the
difference's own half-width, e.g. 100 UKP-days, and runs until every scenario's difference is that
precise (or the maximum is reached).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ukp_sim.analysis.runner import ReplicationResult, Runner, _merge, run_many, runner_for, t_quantile
from ukp_sim.config.scenario import Scenario
from ukp_sim.kpi import TOTAL, WHOLE_YEAR

# --------------------------------------------------------------------------------------------
DEFAULT_PRECISION_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay")
DIFFERENCE_KPIS = ("ukp_days",)  # --precision-diff's default: one D in one unit
ACHIEVED_COLUMNS = ["year", "kpi", "n", "mean", "half_width", "relative_half_width", "met", "needed"]
PRECISION_RULE = (
    "replications are added until, for every chosen KPI (whole community, whole years) of every "
    "scenario, the half-width of the 95 % t-interval of the mean is at most the given share P of |mean|. "
    "Start with the minimum; then, from the current standard deviation s, estimate the replications "
    "needed as the smallest n with t(n-1) * s / sqrt(n) <= P * |mean| (about ceil((t * s / (P * |mean|))^2)), "
    "run up to that many (at least one more, at most the maximum), and check again, until met or the "
    "maximum is reached. Replications are always 0..n-1 with the run seed."
)
DIFFERENCE_RULE = (
    "replications are added until, for every chosen KPI (whole community, whole years) of every "
    "scenario, the half-width of the 95 % t-interval of the mean paired difference against the "
    "reference scenario (replication by replication, common random numbers) is at most D, in the KPI's "
    "units. Start with the minimum; then, from the current standard deviation s of the differences, "
    "estimate the replications needed as the smallest n with t(n-1) * s / sqrt(n) <= D, run up to that "
    "many (at least one more, at most the maximum), and check again, until met or the maximum is reached. "
    "Replications are always 0..n-1 with the run seed."
)


def replications_needed(sd: float, mean: float, precision: float, level: float = 0.95) -> int:
    """The smallest n with t(n-1) * sd / sqrt(n) <= precision * |mean|: the replications a spread
    ``sd`` needs for a ``level`` CI half-width within ``precision`` of the mean.

    It is ceil((t * sd / (precision * |mean|))^2) with t taken at the n it gives, not at the
    current number of replications (which, from a few replications, would overshoot)."""
    if sd == 0:
        return 2
    if mean == 0 or math.isnan(sd) or math.isnan(mean):
        raise ValueError("needs a spread and a non-zero mean")
    ratio = sd / (precision * abs(mean))
    z = float(stats.norm.ppf(0.5 + level / 2))
    n = max(2, math.ceil((z * ratio) ** 2))  # t > z, so this is a lower bound
    if n > 10_000_000:
        return n
    while t_quantile(level, n - 1) * ratio / math.sqrt(n) > 1:
        n += 1
    return n


def precision_check(table: pd.DataFrame, precision: float, kpis: Sequence[str] = DEFAULT_PRECISION_KPIS,
                    level: float = 0.95) -> pd.DataFrame:
    """The achieved precision of the whole-community yearly ``kpis`` in a replication table.

    One row per year x kpi: n, mean, half_width, relative_half_width (half-width / |mean|), met
    (relative half-width <= ``precision``; an interval of width 0 always meets it), and needed
    (the replications the current spread says are needed; NaN where it cannot be estimated, e.g.
    fewer than two values or a zero mean)."""
    rows = []
    if table.empty:
        return pd.DataFrame(columns=ACHIEVED_COLUMNS)
    sel = table[(table["municipality"] == TOTAL) & (table["month"] == WHOLE_YEAR)]

    def judge(sd: float, mean: float, half: float, n: int) -> tuple[float, bool, float]:
        if half == 0.0:
            return 0.0, True, float(n)
        if mean == 0.0:
            return math.nan, False, math.nan
        return half / abs(mean), bool(half / abs(mean) <= precision), float(replications_needed(sd, mean, precision,
                                                                                                 level))

    for year in sorted(table["year"].unique()):
        for kpi in kpis:
            v = sel[(sel["year"] == year) & (sel["kpi"] == kpi)]["value"].to_numpy(dtype=float)
            rows.append(_achieved_row(int(year), kpi, v, level, judge))
    return pd.DataFrame(rows)


def _achieved_row(year: int, kpi: str, values: np.ndarray, level: float, judge) -> dict:
    """One row of an achieved-precision table: n, mean and the t-interval's half-width of the
    values (NaN ignored); ``judge(sd, mean, half, n)`` gives relative_half_width, met and needed."""
    v = values[~np.isnan(values)]
    n = v.size
    mean = float(v.mean()) if n else math.nan
    half = rel = needed = math.nan
    met = False
    if n >= 2:
        sd = float(v.std(ddof=1))
        half = t_quantile(level, n - 1) * sd / math.sqrt(n)
        rel, met, needed = judge(sd, mean, half, n)
    return {"year": year, "kpi": kpi, "n": n, "mean": mean, "half_width": half, "relative_half_width": rel,
            "met": met, "needed": needed}


def difference_check(table: pd.DataFrame, reference: pd.DataFrame, width: float,
                     kpis: Sequence[str] = DEFAULT_PRECISION_KPIS, level: float = 0.95) -> pd.DataFrame:
    """The achieved precision of the paired differences ``table`` - ``reference`` (whole community,
    whole years, paired by replication number), against a wanted half-width ``width`` in the KPI's
    units. Columns as ``precision_check``; ``mean`` is the mean difference and ``needed`` the smallest
    n with t(n-1) * sd / sqrt(n) <= width."""
    if table.empty or reference.empty:
        return pd.DataFrame(columns=ACHIEVED_COLUMNS)
    keys = ["replication", "year", "kpi"]

    def pick(t: pd.DataFrame) -> pd.DataFrame:
        sel = t[(t["municipality"] == TOTAL) & (t["month"] == WHOLE_YEAR) & t["kpi"].isin(kpis)]
        return sel[[*keys, "value"]]

    merged = pick(reference).merge(pick(table), on=keys, suffixes=("_ref", "_other"), validate="one_to_one")
    merged["d"] = merged["value_other"] - merged["value_ref"]

    def judge(sd: float, mean: float, half: float, n: int) -> tuple[float, bool, float]:
        rel = half / abs(mean) if mean != 0 else math.nan
        return rel, bool(half <= width), float(replications_needed(sd, width, 1.0, level))

    rows = []
    for year in sorted(table["year"].unique()):
        for kpi in kpis:
            v = merged[(merged["year"] == year) & (merged["kpi"] == kpi)]["d"].to_numpy(dtype=float)
            rows.append(_achieved_row(int(year), kpi, v, level, judge))
    return pd.DataFrame(rows, columns=ACHIEVED_COLUMNS)


@dataclass
class PrecisionResult:
    results: dict[str, ReplicationResult]  # per scenario (the keys given)
    replications: int  # the n chosen (every scenario uses replications 0..n-1)
    met: bool
    achieved: pd.DataFrame  # scenario, year, kpi, n, mean, half_width, relative_half_width, met, needed
    batches: list[int]  # replications per scenario after each batch
    precision: float
    kpis: tuple[str, ...]
    min_replications: int
    max_replications: int
    level: float = 0.95
    interrupted: bool = False
    difference: float | None = None  # with --precision-diff: the wanted half-width, in the KPI's units
    reference: str | None = None  # ... of the differences against this scenario

    def to_dict(self) -> dict:
        """For run.json."""
        achieved = [
            {"scenario": r.scenario, "year": int(r.year), "kpi": r.kpi, "n": int(r.n),
             "mean": _num(r.mean), "half_width": _num(r.half_width),
             "relative_half_width": _num(r.relative_half_width), "met": bool(r.met)}
            for r in self.achieved.itertuples()
        ]
        wanted = ({"relative_half_width_wanted": self.precision} if self.difference is None else
                  {"difference_half_width_wanted": self.difference, "differences_against": self.reference})
        return {
            **wanted,
            "confidence": self.level,
            "kpis": list(self.kpis),
            "where": "whole community (Total), whole years",
            "min_replications": self.min_replications,
            "max_replications": self.max_replications,
            "replications": self.replications,
            "batches": self.batches,
            "met": self.met,
            "interrupted": self.interrupted,
            "rule": PRECISION_RULE if self.difference is None else DIFFERENCE_RULE,
            "achieved": achieved,
        }


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _achieved(results: Mapping[str, ReplicationResult], precision: float, kpis: Sequence[str],
              level: float, difference: float | None = None, reference: str | None = None) -> pd.DataFrame:
    parts = []
    for key, res in results.items():
        if difference is None:
            df = precision_check(res.table, precision, kpis, level)
        elif key == reference:
            continue
        else:
            df = difference_check(res.table, results[reference].table, difference, kpis, level)
        df.insert(0, "scenario", key)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def run_to_precision(
    scenarios: Scenario | Mapping[str, Scenario], seed: int, precision: float = 0.05,
    kpis: Sequence[str] = DEFAULT_PRECISION_KPIS, min_replications: int = 5, max_replications: int = 100,
    jobs: int | Runner = 1, progress: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None, level: float = 0.95,
    difference: float | None = None, reference: str | None = None,
) -> PrecisionResult:
    """Run replications until the chosen KPIs' 95 % CI half-widths are within ``precision`` of their
    means (see ``PRECISION_RULE``), for one scenario or for several with the same n; or, with
    ``difference`` D, until every other scenario's paired difference against ``reference`` (default:
    the first scenario) has a half-width of at most D (``DIFFERENCE_RULE``; ``precision`` unused).

    ``on_batch(n)`` is called before each batch with the new number of replications per scenario.
    The chosen n depends only on the scenarios, the seed and the settings, never on ``jobs`` (a
    Runner, shared by every batch, or a worker count). A single scenario is returned under the key
    ``""``.
    """
    if isinstance(scenarios, Scenario):
        scenarios = {"": scenarios}
    if difference is not None:
        if not difference > 0:
            raise ValueError("the wanted half-width of the differences must be positive, e.g. 100 UKP-days")
        if len(scenarios) < 2:
            raise ValueError("a precision on differences needs at least two scenarios")
        reference = next(iter(scenarios)) if reference is None else reference
        if reference not in scenarios:
            raise ValueError(f"no scenario '{reference}' to take differences against")
    elif not precision > 0:
        raise ValueError("the precision must be a positive share of the mean, e.g. 0.05")
    if min_replications < 2:
        raise ValueError("the minimum replications must be at least 2 to estimate a confidence interval")
    if max_replications < min_replications:
        raise ValueError("the maximum replications must be at least the minimum")
    kpis = tuple(kpis)
    with runner_for(jobs) as runner:
        return _run_to_precision(scenarios, seed, precision, kpis, min_replications, max_replications, runner,
                                 progress, on_batch, level, difference, reference)


def _run_to_precision(scenarios, seed, precision, kpis, min_replications, max_replications, jobs, progress,
                      on_batch, level, difference, reference) -> PrecisionResult:
    n = min_replications
    if on_batch:
        on_batch(n)
    results = run_many(scenarios, range(n), seed, jobs, progress)
    batches = [n]
    while True:
        interrupted = any(r.interrupted for r in results.values())
        achieved = _achieved(results, precision, kpis, level, difference, reference)
        met = bool(len(achieved)) and bool(achieved["met"].all())
        if interrupted or met or n >= max_replications:
            break
        needed = achieved.loc[~achieved["met"], "needed"]
        want = max_replications if needed.isna().any() else int(needed.max())
        new_n = min(max_replications, max(want, n + 1))
        if on_batch:
            on_batch(new_n)
        more = run_many(scenarios, range(n, new_n), seed, jobs, progress)
        results = {k: _merge(results[k], more[k]) for k in results}
        n = new_n
        batches.append(n)
    return PrecisionResult(results, n, met, achieved, batches, precision, kpis, min_replications,
                           max_replications, level, interrupted, difference, reference)

"""Replications, confidence intervals and parallel runs.

Replication ``i`` of a run with seed ``S`` draws its random numbers from streams seeded by
(S, i, stream name) alone, so its result does not depend on which process ran it or in which
order: the same seed and replication count give identical numbers for any number of jobs, and
two scenarios run with the same seed share their random numbers (common random numbers).
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from ukp_sim.analysis.backends import InlineBackend, make_backend
from ukp_sim.config.scenario import Scenario
from ukp_sim.config.targets import load_targets, status
from ukp_sim.kpi import TOTAL, WHOLE_YEAR, compute_kpis
from ukp_sim.sim.model import Model

KEYS = ["year", "month", "municipality", "kpi"]
ANNUAL_KPIS = {"ukp_days", "ukp_days_per_1000"}


def single_run(scenario: Scenario, seed: int, replication: int) -> pd.DataFrame:
    """One replication: simulate, then compute the KPIs (long table with a `replication` column)."""
    model = Model(scenario, seed, replication)
    records = model.run()
    df = compute_kpis(records, scenario, model.cal)
    df.insert(0, "replication", replication)
    return df


Work = tuple[Scenario, int, int]  # (scenario, seed, replication)


def _run_batch(batch: Sequence[Work]) -> list[pd.DataFrame]:
    return [single_run(*work) for work in batch]


MAX_BATCH = 4  # replications per task: small, so Ctrl-C loses little and the workers stay balanced


def batch_size(tasks: int, workers: int) -> int:
    """Replications per task: about eight tasks per worker, at most MAX_BATCH (one replication of
    a community-year takes ~0.5 CPU-s, so sending a task costs well under 1 % of it)."""
    return max(1, min(MAX_BATCH, tasks // (8 * max(1, workers))))


class Runner:
    """One backend for a command's lifetime: every batch of replications (run, compare, study,
    target; a calibration's candidates) goes through ``replications``, which reads what the cache
    holds and sends the rest, in batches, to the backend: this process (one job), a pool of
    worker processes (``jobs`` > 1), or a Dask cluster (``cluster``, e.g. ``local:2``).

    The backend starts with the first batch that can use it and is reused by the next ones, so a
    calibration's many sweeps or a lever search's many points do not start a pool each. Which
    worker runs a task never changes its result: a task's random numbers come from its
    (seed, replication) alone.
    """

    def __init__(self, jobs: int = 1, cluster: str | None = None, cache=None):
        self.jobs = max(1, min(int(jobs), os.cpu_count() or 1))
        self.cluster = cluster
        self.cache = cache  # a ResultCache, or None
        self.requested = 0  # replications asked for, cached or not
        self._backend = None
        self._described: dict | None = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._backend is not None:
            self._described = self._backend.describe()
            self._backend.close()
            self._backend = None

    @property
    def backend(self):
        if self._backend is None:
            self._backend = make_backend(self.jobs, self.cluster)
        return self._backend

    def describe(self) -> dict:
        """For run.json: where the replications ran."""
        if self._backend is not None:
            return self._backend.describe()
        if self._described is not None:
            return self._described
        if self.cluster:
            return {"backend": "dask", "cluster": self.cluster}
        return {"backend": "processes" if self.jobs > 1 else "inline", "workers": self.jobs}

    def imap(self, fn: Callable, tasks: Sequence, progress: Callable[[int], None] | None = None) -> Iterator:
        """Yield ``(i, fn(tasks[i]))`` as the tasks finish (in task order with one job).
        ``progress(1)`` after each. Ctrl-C stops the workers (the next batch starts new ones)
        before the KeyboardInterrupt goes on."""
        inline = self.cluster is None and (self.jobs == 1 or len(tasks) <= 1)
        for i, result in (InlineBackend() if inline else self.backend).map(fn, tasks):
            yield i, result
            if progress:
                progress(1)

    def replications(self, work: Sequence[Work], progress: Callable[[int], None] | None = None,
                     ) -> Iterator[tuple[int, pd.DataFrame]]:
        """Yield ``(i, KPI table of work[i])``: first those the cache holds, then the others as
        their batches finish, each stored in the cache as it arrives (so Ctrl-C loses only the
        batches in flight). ``progress(k)`` after every k replications."""
        self.requested += len(work)
        missing = []
        for i, (scenario, seed, rep) in enumerate(work):
            table = self.cache.get(scenario, seed, rep) if self.cache is not None else None
            if table is None:
                missing.append(i)
                continue
            yield i, table
            if progress:
                progress(1)
        if not missing:
            return
        size = batch_size(len(missing), 1 if self.cluster is None and self.jobs == 1 else self.backend.workers)
        groups = [missing[k:k + size] for k in range(0, len(missing), size)]
        batches = [[work[i] for i in group] for group in groups]
        for b, tables in self.imap(_run_batch, batches):
            for i, table in zip(groups[b], tables):
                if self.cache is not None:
                    scenario, seed, rep = work[i]
                    self.cache.put(scenario, seed, rep, table)
                yield i, table
            if progress:
                progress(len(groups[b]))


@contextmanager
def runner_for(jobs: int | Runner) -> Iterator[Runner]:
    """The given Runner (left open for its owner), or a new one for ``jobs`` workers that is
    closed at the end of the block."""
    if isinstance(jobs, Runner):
        yield jobs
        return
    with Runner(jobs) as runner:
        yield runner


@dataclass
class ReplicationResult:
    table: pd.DataFrame  # all replications, long format
    requested: int
    completed: list[int]
    interrupted: bool


def run_many(
    scenarios: Mapping[str, Scenario], replications: Sequence[int], seed: int, jobs: int | Runner = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, ReplicationResult]:
    """Run the given replication numbers of several scenarios with one seed, on ``jobs`` (a
    Runner to share, or a number of worker processes).

    Replication ``i`` of every scenario uses the streams of (seed, i), so the scenarios share their
    random numbers replication by replication (common random numbers). Ctrl-C keeps what finished:
    every result then says ``interrupted``.
    """
    reps = list(replications)
    if not reps:
        raise ValueError("no replications to run")
    if len(set(reps)) != len(reps) or min(reps) < 0:
        raise ValueError("replication numbers must be distinct and non-negative")
    tasks = [(key, rep) for key in scenarios for rep in reps]
    done: dict[tuple[str, int], pd.DataFrame] = {}
    interrupted = False
    try:
        with runner_for(jobs) as runner:
            work = [(scenarios[key], seed, rep) for key, rep in tasks]
            for i, table in runner.replications(work, progress):
                done[tasks[i]] = table
    except KeyboardInterrupt:
        interrupted = True
    out = {}
    for key in scenarios:
        order = sorted(rep for k, rep in done if k == key)
        table = pd.concat([done[key, r] for r in order], ignore_index=True) if order else pd.DataFrame()
        out[key] = ReplicationResult(table, len(reps), order, interrupted)
    return out


def run_replications(
    scenario: Scenario, replications: int, seed: int, jobs: int | Runner = 1,
    progress: Callable[[int], None] | None = None,
) -> ReplicationResult:
    """Run replications 0..n-1 on ``jobs`` (a Runner or a worker count). Ctrl-C keeps the finished
    replications."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    return run_many({"": scenario}, range(replications), seed, jobs, progress)[""]


def _merge(first: ReplicationResult, more: ReplicationResult) -> ReplicationResult:
    """Append a later batch of replications (higher numbers) to a result."""
    parts = [t for t in (first.table, more.table) if not t.empty]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return ReplicationResult(table, first.requested + more.requested, first.completed + more.completed,
                             first.interrupted or more.interrupted)


@lru_cache(maxsize=1024)
def t_quantile(level: float, df: int) -> float:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(stats.t.ppf(0.5 + level / 2, df))


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and the t-based confidence interval over replications (NaN values ignored)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(t_quantile(level, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def summarise(table: pd.DataFrame, scenario_name: str) -> pd.DataFrame:
    """Mean, 95 % CI, n, target, status and goal attainment per scenario x year x month x
    municipality x kpi.

    ``attainment`` is the share of the way from the KPI's baseline to its target (0 at the
    baseline, 1 at the target; ``ukp_sim/data/targets.toml``), NaN where no target applies or the
    target equals the baseline (KPI 5)."""
    targets, rule = load_targets()
    rows = []
    for key, grp in table.groupby(KEYS, sort=False):
        mean, lo, hi, n = mean_ci(grp["value"].to_numpy())
        year, month, muni, kpi = key
        t = targets.get(kpi)
        # a yearly total (KPI 1) has no monthly target; shares, means and stays do
        applies = t is not None and t.applies_to(muni) and not (month != 0 and kpi in ANNUAL_KPIS)
        rows.append({
            "scenario": scenario_name, "year": year, "month": month, "municipality": muni, "kpi": kpi,
            "mean": mean, "ci_low": lo, "ci_high": hi, "n": n,
            "target": t.target if applies else math.nan,
            "status": status(t, mean, rule) if applies else "",
            "attainment": t.attainment(mean) if applies else math.nan,
        })
    out = pd.DataFrame(rows)
    return out.sort_values(["year", "month", "municipality", "kpi"], kind="stable", ignore_index=True)


# --------------------------------------------------------------------------------------------
# Choosing the number of replications for a wanted precision
# --------------------------------------------------------------------------------------------
DEFAULT_PRECISION_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay")
PRECISION_RULE = (
    "replications are added until, for every chosen KPI (whole community, whole years) of every "
    "scenario, the half-width of the 95 % t-interval of the mean is at most the given share P of |mean|. "
    "Start with the minimum; then, from the current standard deviation s, estimate the replications "
    "needed as the smallest n with t(n-1) * s / sqrt(n) <= P * |mean| (about ceil((t * s / (P * |mean|))^2)), "
    "run up to that many (at least one more, at most the maximum), and check again, until met or the "
    "maximum is reached. Replications are always 0..n-1 with the run seed."
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
        return pd.DataFrame(columns=["year", "kpi", "n", "mean", "half_width", "relative_half_width",
                                     "met", "needed"])
    sel = table[(table["municipality"] == TOTAL) & (table["month"] == WHOLE_YEAR)]
    for year in sorted(table["year"].unique()):
        for kpi in kpis:
            v = sel[(sel["year"] == year) & (sel["kpi"] == kpi)]["value"].to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            n = v.size
            mean = float(v.mean()) if n else math.nan
            half = rel = needed = math.nan
            met = False
            if n >= 2:
                t = t_quantile(level, n - 1)
                sd = float(v.std(ddof=1))
                half = t * sd / math.sqrt(n)
                if half == 0.0:
                    rel, met, needed = 0.0, True, float(n)
                elif mean != 0.0:
                    rel = half / abs(mean)
                    met = bool(rel <= precision)
                    needed = float(replications_needed(sd, mean, precision, level))
            rows.append({"year": int(year), "kpi": kpi, "n": n, "mean": mean, "half_width": half,
                         "relative_half_width": rel, "met": met, "needed": needed})
    return pd.DataFrame(rows)


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

    def to_dict(self) -> dict:
        """For run.json."""
        achieved = [
            {"scenario": r.scenario, "year": int(r.year), "kpi": r.kpi, "n": int(r.n),
             "mean": _num(r.mean), "half_width": _num(r.half_width),
             "relative_half_width": _num(r.relative_half_width), "met": bool(r.met)}
            for r in self.achieved.itertuples()
        ]
        return {
            "relative_half_width_wanted": self.precision,
            "confidence": self.level,
            "kpis": list(self.kpis),
            "where": "whole community (Total), whole years",
            "min_replications": self.min_replications,
            "max_replications": self.max_replications,
            "replications": self.replications,
            "batches": self.batches,
            "met": self.met,
            "interrupted": self.interrupted,
            "rule": PRECISION_RULE,
            "achieved": achieved,
        }


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _achieved(results: Mapping[str, ReplicationResult], precision: float, kpis: Sequence[str],
              level: float) -> pd.DataFrame:
    parts = []
    for key, res in results.items():
        df = precision_check(res.table, precision, kpis, level)
        df.insert(0, "scenario", key)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def run_to_precision(
    scenarios: Scenario | Mapping[str, Scenario], seed: int, precision: float = 0.05,
    kpis: Sequence[str] = DEFAULT_PRECISION_KPIS, min_replications: int = 5, max_replications: int = 100,
    jobs: int | Runner = 1, progress: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None, level: float = 0.95,
) -> PrecisionResult:
    """Run replications until the chosen KPIs' 95 % CI half-widths are within ``precision`` of their
    means (see ``PRECISION_RULE``), for one scenario or for several with the same n.

    ``on_batch(n)`` is called before each batch with the new number of replications per scenario.
    The chosen n depends only on the scenarios, the seed and the settings, never on ``jobs`` (a
    Runner, shared by every batch, or a worker count). A single scenario is returned under the key
    ``""``.
    """
    if isinstance(scenarios, Scenario):
        scenarios = {"": scenarios}
    if not precision > 0:
        raise ValueError("the precision must be a positive share of the mean, e.g. 0.05")
    if min_replications < 2:
        raise ValueError("the minimum replications must be at least 2 to estimate a confidence interval")
    if max_replications < min_replications:
        raise ValueError("the maximum replications must be at least the minimum")
    kpis = tuple(kpis)
    with runner_for(jobs) as runner:
        return _run_to_precision(scenarios, seed, precision, kpis, min_replications, max_replications, runner,
                                 progress, on_batch, level)


def _run_to_precision(scenarios, seed, precision, kpis, min_replications, max_replications, jobs, progress,
                      on_batch, level) -> PrecisionResult:
    n = min_replications
    if on_batch:
        on_batch(n)
    results = run_many(scenarios, range(n), seed, jobs, progress)
    batches = [n]
    while True:
        interrupted = any(r.interrupted for r in results.values())
        achieved = _achieved(results, precision, kpis, level)
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
                           max_replications, level, interrupted)

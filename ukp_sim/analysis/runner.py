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
from ukp_sim.kpi import compute_kpis
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
        inline = self.cluster is None and self.jobs == 1
        # in this process a batch saves nothing, and Ctrl-C would lose its finished replications
        size = 1 if inline else batch_size(len(missing), self.backend.workers)
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


def key_slices(table: pd.DataFrame, columns: tuple[str, ...]):
    """(key, arrays of ``columns``) per (year, month, municipality, kpi) in order of first
    appearance, each array in the table's row order within its key: ``groupby(KEYS)`` without a
    DataFrame per group, which over worlds costs more than the statistics."""
    if table.empty:
        return
    codes = table.groupby(KEYS, sort=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.flatnonzero(np.diff(codes[order])) + 1, [order.size]])
    keys = table[KEYS].to_numpy(dtype=object)[order[starts[:-1]]]
    arrays = [table[c].to_numpy()[order] for c in columns]
    for k, key in enumerate(keys):
        part = slice(starts[k], starts[k + 1])
        yield tuple(key), tuple(a[part] for a in arrays)


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

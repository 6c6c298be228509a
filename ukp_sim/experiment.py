"""Replications, confidence intervals and parallel runs.

Replication ``i`` of a run with seed ``S`` draws its random numbers from streams seeded by
(S, i, stream name) alone, so its result does not depend on which process ran it or in which
order: the same seed and replication count give identical numbers for any number of jobs, and
two scenarios run with the same seed share their random numbers (common random numbers).
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .kpi import compute_kpis
from .model import Model
from .scenario import Scenario
from .targets import load_targets, status

KEYS = ["year", "month", "municipality", "kpi"]
ANNUAL_KPIS = {"ukp_days", "ukp_days_per_1000"}


def single_run(scenario: Scenario, seed: int, replication: int) -> pd.DataFrame:
    """One replication: simulate, then compute the KPIs (long table with a `replication` column)."""
    model = Model(scenario, seed, replication)
    records = model.run()
    df = compute_kpis(records, scenario, model.cal)
    df.insert(0, "replication", replication)
    return df


def _run_task(args: tuple[Scenario, int, int]) -> pd.DataFrame:
    return single_run(*args)


@dataclass
class ReplicationResult:
    table: pd.DataFrame  # all replications, long format
    requested: int
    completed: list[int]
    interrupted: bool


def run_replications(
    scenario: Scenario, replications: int, seed: int, jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ReplicationResult:
    """Run replications 0..n-1, in ``jobs`` processes. Ctrl-C keeps the finished replications."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    jobs = max(1, min(jobs, replications, os.cpu_count() or 1))
    done: dict[int, pd.DataFrame] = {}
    interrupted = False
    try:
        if jobs == 1:
            for rep in range(replications):
                done[rep] = single_run(scenario, seed, rep)
                if progress:
                    progress(1)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                pending = {pool.submit(_run_task, (scenario, seed, rep)): rep for rep in range(replications)}
                try:
                    while pending:
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in finished:
                            done[pending.pop(fut)] = fut.result()
                            if progress:
                                progress(1)
                except KeyboardInterrupt:
                    for fut in pending:
                        fut.cancel()
                    raise
    except KeyboardInterrupt:
        interrupted = True
    order = sorted(done)
    table = pd.concat([done[r] for r in order], ignore_index=True) if order else pd.DataFrame()
    return ReplicationResult(table, replications, order, interrupted)


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
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def summarise(table: pd.DataFrame, scenario_name: str) -> pd.DataFrame:
    """Mean, 95 % CI, n, target and status per scenario x year x month x municipality x kpi."""
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
        })
    out = pd.DataFrame(rows)
    return out.sort_values(["year", "month", "municipality", "kpi"], kind="stable", ignore_index=True)

"""What every step of calibration shares: simulating candidates with common random numbers, the
implausibility and the ranking distance, and the result of a history match. A module of its own
so the search, the local polish and the ensemble use it without importing each other."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ukp_sim.analysis.runner import Runner, runner_for
from ukp_sim.config.calibration_file import CalParameter, CalTarget
from ukp_sim.config.loader import build_scenario


def _target_values(table, keys) -> np.ndarray:
    yearly = table[table["month"] == 0]
    lookup = dict(zip(zip(yearly["year"], yearly["municipality"], yearly["kpi"]), yearly["value"]))
    return np.array([lookup.get(k, math.nan) for k in keys], dtype=float)


def simulate_candidates(candidates: list[dict], path: Path, targets: list[CalTarget], seed: int,
                        reps: int, jobs: int | Runner, progress: Callable[[int], None] | None = None,
                        extract: Callable | None = None) -> np.ndarray:
    """Target values for every candidate and replication: array [candidate, replication, target].
    Replication r uses the same seeds for every candidate (common random numbers). ``jobs`` is
    the calibration's Runner (or a worker count for a pool of this call's own); through it,
    replications already in its cache are read, not simulated. ``extract(table)`` replaces the
    target values by other values from each replication's KPI table."""
    keys = [(t.year, t.municipality, t.kpi) for t in targets]
    extract = extract or (lambda table: _target_values(table, keys))
    scenarios = [build_scenario(c, path) for c in candidates]
    work = [(sc, seed, r) for sc in scenarios for r in range(reps)]
    out = None
    with runner_for(jobs) as runner:
        for i, table in runner.replications(work, progress):
            values = extract(table)
            if out is None:
                out = np.full((len(candidates), reps, len(values)), np.nan)
            out[i // reps, i % reps] = values
    return out if out is not None else np.empty((len(candidates), reps, len(targets)))


def maximin(unit: np.ndarray, k: int, first: int = 0, distinct: bool = False) -> np.ndarray:
    """Indices of up to ``k`` rows of ``unit`` spread out by greedy maximin (Johnson, Moore &
    Ylvisaker 1990): from row ``first``, each next the row farthest from its nearest chosen one.
    With ``distinct`` it stops when only duplicates of chosen rows are left; without, it takes
    them too, never a row twice. Ties go to the lower row."""
    chosen = [int(first)]
    nearest = np.linalg.norm(unit - unit[first], axis=1)
    nearest[first] = -np.inf
    while len(chosen) < min(k, len(unit)):
        j = int(np.argmax(nearest))
        if distinct and nearest[j] <= 0.0:
            break
        chosen.append(j)
        nearest = np.minimum(nearest, np.linalg.norm(unit - unit[j], axis=1))
        nearest[chosen] = -np.inf
    return np.array(chosen, dtype=int)


def pad_replications(sims: np.ndarray, reps: int) -> np.ndarray:
    """``sims`` [candidate, replication, target] with NaN replications up to ``reps`` (never fewer)."""
    if sims.shape[1] >= reps:
        return sims
    extra = np.full((sims.shape[0], reps - sims.shape[1], sims.shape[2]), np.nan)
    return np.concatenate([sims, extra], axis=1)


def year_variance(sims: np.ndarray) -> np.ndarray:
    """Variance of one simulated year over each candidate's replications [candidate, target]
    (NaN-padded replications left out; NaN with fewer than two)."""
    reps = (~np.isnan(sims)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.where(reps > 1, np.nanvar(sims, axis=1, ddof=1), np.nan)


def implausibility(sims: np.ndarray, targets: list[CalTarget], discrepancy: float = 0.0,
                   one_year: bool = False) -> np.ndarray:
    """Implausibility [candidate, target] from simulations [candidate, replication, target]:
    |mean - observed| / sqrt(observation variance + model-discrepancy variance + Var(mean)), the
    observation's standard deviation being half the tolerance and the discrepancy's ``discrepancy``
    times that. With ``one_year`` the variance of one simulated year joins the denominator: the
    observed figure is one year of a stochastic process, so a world whose years scatter widely
    cannot be ruled out by one year that lies within its scatter (the stochastic simulator's
    ensemble variability, Andrianakis et al. 2015, 2017), up to the target's ``year_sd_bound``: the
    spread the observed series of the figure allows the real system's years."""
    obs = np.array([t.observed for t in targets])
    tol = np.array([t.tolerance for t in targets])
    mean = np.nanmean(sims, axis=1)
    reps = (~np.isnan(sims)).sum(axis=1)  # candidates may differ in their count (top-up; NaN-padded)
    var_run = np.nan_to_num(year_variance(sims))  # a candidate with one replication has no variance
    var = (tol / 2.0) ** 2 * (1.0 + discrepancy ** 2) + var_run / np.maximum(reps, 1)
    if one_year:
        var = var + np.minimum(var_run, np.array([t.year_sd_bound for t in targets]) ** 2)
    return np.abs(mean - obs) / np.sqrt(var)


def year_distance(sims: np.ndarray, targets: list[CalTarget]) -> np.ndarray:
    """Ranking distance per candidate: the weighted expected squared error of ONE simulated year
    against the observed year, in units of half the tolerance, i.e. bias^2 + variance. The
    observation is a single year, so a candidate whose years scatter widely (a queue near
    saturation) is a worse description than a stable one with the same mean."""
    obs = np.array([t.observed for t in targets])
    tol = np.array([t.tolerance for t in targets])
    w = np.array([t.weight for t in targets])
    mse = np.nanmean((sims - obs) ** 2, axis=1) / (tol / 2.0) ** 2
    return (mse * w).sum(axis=1)


@dataclass
class WaveStat:
    wave: int
    candidates: int
    plausible_in_wave: int  # this wave's candidates that are not implausible
    plausible_total: int  # all candidates so far that are not implausible
    focused_on: str  # where the wave's candidates came from
    topped_up: int = 0  # candidates simulated again with the top-up replications after this wave


@dataclass
class HistoryMatch:
    year: int
    targets: list[CalTarget]
    params: list[CalParameter]
    points: np.ndarray  # [candidate, parameter]
    wave: np.ndarray  # wave of each candidate
    sims: np.ndarray  # [candidate, replication, target]
    impl: np.ndarray  # [candidate, target]
    max_impl: np.ndarray
    distance: np.ndarray
    plausible: np.ndarray  # indices of the kept plausible sets, best first
    any_plausible: bool
    cpu_note: str = ""
    waves: list[WaveStat] = field(default_factory=list)
    cutoff: float = 3.0
    discrepancy: float = 0.0
    one_year: bool = False  # one simulated year's variance in the implausibility (Settings.one_year_variance)
    replications: int = 0  # per candidate in the waves (0: all of sims' replications)
    topup: int = 0  # replications of the candidates not ruled out with those (0: no top-up)
    balance: object = None  # ensemble_balance.Balance when the ensemble was balanced
    joint: object = None  # ensemble.JointRecord: what any k judged plausible worlds meet together
    joint_one: object = None  # ensemble.JointRecord of the judged best alone: what meeting its misses costs
    judged: tuple[int, int] | None = None  # candidates simulated with the ensemble's replications, still plausible

    @property
    def best(self) -> int:
        return int(self.plausible[0])

    @property
    def not_implausible(self) -> np.ndarray:
        """Every candidate not ruled out (the plausible region's sample), best first."""
        ok = np.flatnonzero(self.max_impl <= self.cutoff)
        return ok[np.argsort(self.distance[ok])]

"""What the mean of any ``k`` plausible worlds can meet together, solved exactly.

Balancing by swaps (``ensemble_balance``) lowers a weighted squared excess and may trade a target
it could have met for a heavier one; per-target ranges (``ensemble.reach``) say what any ``k``
worlds can average on one target, not on all at once. Which targets an ensemble mean can meet
together is a selection problem that is small enough to solve exactly as a mixed-integer
linear programme (HiGHS through ``scipy.optimize.milp``): choose ``k`` of the judged plausible
worlds (``x``, the best always among them) and the targets to meet (``z``), such that for every
target with ``z = 1`` the mean of the chosen worlds lies within its tolerance, maximising the
weighted count of targets met. Because the ensemble's mean is the mean of these same judged
means (the same seeds and replications), what the programme finds is what the ensemble shows.

A second programme keeps that weighted count and keeps as many of the maximin-chosen worlds as
it can (so the ensemble still spans the plausible region), and for every target left unmet a
further one asks what meeting it would cost: the most the others can then meet, and which
targets are lost. A world with no value for a target (NaN) cannot be chosen to meet it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ukp_sim.analysis.ensemble_balance import met_targets

SLACK = 1e-9  # in tolerances: the solver's feasibility tolerance must not admit a mean just outside


@dataclass(frozen=True)
class Joint:
    chosen: np.ndarray  # row indices into the means given, ``keep`` first
    met: np.ndarray  # bool per target: the chosen worlds' mean within its tolerance
    weight: float  # the weighted count of targets met
    optimal: bool  # proven best (False: the solver's time limit stopped it; the best found)


@dataclass(frozen=True)
class Trade:
    target: int  # index of a target the best joint choice leaves unmet
    weight: float | None  # the most the mean can meet with it met (None: no k worlds meet it)
    lost: tuple[int, ...]  # targets met by the best choice and not by this one


def most_together(means: np.ndarray, observed: np.ndarray, tolerance: np.ndarray, weight: np.ndarray, k: int,
                  keep: int | None = 0, prefer: np.ndarray | None = None, require: tuple[int, ...] = (),
                  time_limit: float = 60.0) -> Joint | None:
    """The ``k`` rows of ``means`` [world, target] whose mean meets the largest weighted set of
    targets within ``tolerance``, always with row ``keep``; of the choices that do, the one with
    the most rows of ``prefer``. Targets in ``require`` must be met. None if no choice meets them."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = means.shape
    k = min(k, n)
    if k == 0:
        return None
    missing = ~np.isfinite(means)
    d = np.where(missing, 0.0, (means - observed) / (k * tolerance))  # each world's pull, in tolerances
    big = np.sort(np.abs(d), axis=0)[n - k:].sum(axis=0) + 1.0  # |sum of k pulls| never exceeds it
    rows, lo, hi = [], [], []
    for t in range(m):  # sum(d x) <= 1 when z = 1, free when z = 0; the same for >= -1
        zt = np.zeros(m)
        zt[t] = big[t]
        rows.append(np.concatenate([d[:, t], zt]))
        lo.append(-np.inf)
        hi.append(1.0 - SLACK + big[t])
        rows.append(np.concatenate([d[:, t], -zt]))
        lo.append(-1.0 + SLACK - big[t])
        hi.append(np.inf)
        for i in np.flatnonzero(missing[:, t]):  # a world without a value cannot help meet it
            a = np.zeros(n + m)
            a[i] = a[n + t] = 1.0
            rows.append(a)
            lo.append(-np.inf)
            hi.append(1.0)
    rows.append(np.concatenate([np.ones(n), np.zeros(m)]))
    lo.append(k)
    hi.append(k)
    low = np.zeros(n + m)
    up = np.ones(n + m)
    if keep is not None:
        low[keep] = 1.0
    low[[n + t for t in require]] = 1.0
    # HiGHS stops within a relative gap of 1e-4 of its bound; both objectives (weighted targets met,
    # maximin worlds kept) move in far larger steps, so its "optimal" is the optimum unless weights
    # are finer than 1e-4 x their sum
    options = {"time_limit": time_limit, "presolve": True}
    cons = [LinearConstraint(np.array(rows), lo, hi)]
    first = milp(np.concatenate([np.zeros(n), -weight]), integrality=np.ones(n + m), bounds=Bounds(low, up),
                 constraints=cons, options=options)
    if first.x is None:
        return None
    optimal = first.status == 0
    best = float(weight @ np.round(first.x[n:]))
    x = first.x
    if prefer is not None and len(prefer):
        keep_w = np.concatenate([np.zeros(n), weight])
        cons2 = [*cons, LinearConstraint(keep_w[None, :], best - 1e-6, np.inf)]
        c = np.zeros(n + m)
        c[np.asarray(prefer, dtype=int)] = -1.0
        second = milp(c, integrality=np.ones(n + m), bounds=Bounds(low, up), constraints=cons2, options=options)
        if second.x is not None:
            x = second.x
    chosen = np.flatnonzero(np.round(x[:n]) == 1)
    if keep is not None:
        chosen = np.concatenate([[keep], chosen[chosen != keep]])
    met = met_targets(means[chosen], observed, tolerance)
    return Joint(chosen, met, float(weight @ met), optimal)


def trades(means: np.ndarray, observed: np.ndarray, tolerance: np.ndarray, weight: np.ndarray, k: int,
           joint: Joint, keep: int | None = 0, time_limit: float = 60.0) -> list[Trade]:
    """For each target ``joint`` leaves unmet: the most the mean of ``k`` worlds can meet with it
    met, and the targets ``joint`` meets that such a choice gives up."""
    out = []
    for t in np.flatnonzero(~joint.met):
        alt = most_together(means, observed, tolerance, weight, k, keep=keep, require=(int(t),),
                            time_limit=time_limit)
        if alt is None:
            out.append(Trade(int(t), None, ()))
        else:
            out.append(Trade(int(t), alt.weight, tuple(int(i) for i in np.flatnonzero(joint.met & ~alt.met))))
    return out

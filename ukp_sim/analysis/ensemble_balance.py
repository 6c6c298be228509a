"""Balancing the ensemble: worlds that span the plausible region and, together, reproduce the data.

Maximin picks the plausible region's corners. The region is wider than the tolerances (the cut-off
of 3 standard deviations adds one year's scatter and the model discrepancy) and lopsided (more
ways to make too many UKP-days than too few), so an ensemble of corners can miss a target on
average although each world is plausible: the fifth calibration's 30 worlds averaged 11,523
UKP-days in 2022 against 10,175 ± 509. A study over such an ensemble would answer for a
community busier than the observed one.

The balance step swaps worlds, one at a time, for unchosen plausible candidates, taking each time
the swap that most lowers the ensemble mean's shortfall (the weighted sum over targets of the
squared excess of |ensemble mean − observed| over ``margin`` × tolerance, in tolerances), ties to
the wider spread; the best world stays. It stops when no swap lowers the shortfall. The margin
below 1 leaves room for the worlds' means to move when they are simulated again with more
replications. The means are the candidates' means over their search replications, or, when the
plausible candidates were all simulated again with the ensemble's replications first
(``ensemble.judge_pool``), over those: a selection on few replications favours worlds whose
few years came out low, and their means rise again with more (the balanced 2022 ensemble in
calibration/attempts/2026-12-03_balanced_on_search met the community's total on the search's 5–12
replications and missed it with 30: 11,121 against 10,175 ± 509).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MARGIN = 0.75


@dataclass(frozen=True)
class Balance:
    chosen: np.ndarray  # candidate indices, the first kept in place
    swaps: int
    shortfall_before: float
    shortfall_after: float
    replications: int = 0  # of the means balanced on (0: the search's)


def shortfall(means: np.ndarray, observed: np.ndarray, tolerance: np.ndarray, weight: np.ndarray,
              margin: float = MARGIN) -> float:
    """Weighted squared excess of the ensemble mean's error over ``margin`` tolerances
    (``means`` [world, target]; targets with no finite mean are left out)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a target no world has a value for
        m = np.nanmean(means, axis=0)
    ok = np.isfinite(m)
    excess = np.maximum(0.0, np.abs(m[ok] - observed[ok]) / tolerance[ok] - margin)
    return float(weight[ok] @ excess**2)


def balance(chosen: np.ndarray, pool: np.ndarray, means: np.ndarray, unit: np.ndarray, observed: np.ndarray,
            tolerance: np.ndarray, weight: np.ndarray, margin: float = MARGIN, replications: int = 0) -> Balance:
    """Swap members of ``chosen`` (candidate indices into ``means`` [candidate, target] and ``unit``,
    the candidates in the prior box scaled to 0–1) for members of ``pool`` not chosen until no
    swap lowers the ``shortfall``; ``chosen[0]`` (the best) is never swapped."""
    sel = [int(c) for c in chosen]
    spare = [int(c) for c in pool if int(c) not in set(sel)]

    def loss(s: list[int]) -> float:
        return shortfall(means[s], observed, tolerance, weight, margin)

    def spread(s: list[int]) -> float:  # the smallest distance between two chosen worlds
        u = unit[s]
        d = np.linalg.norm(u[:, None, :] - u[None, :, :], axis=2)
        return float(d[np.triu_indices(len(s), 1)].min()) if len(s) > 1 else 0.0

    before = current = loss(sel)
    swaps = 0
    while current > 0.0 and spare and swaps < 4 * len(sel):
        best = None
        for i in range(1, len(sel)):
            for j, c in enumerate(spare):
                trial = sel[:i] + [c] + sel[i + 1:]
                key = (loss(trial), -spread(trial))
                if key[0] < current - 1e-12 and (best is None or key < best[0]):
                    best = (key, i, j)
        if best is None:
            break
        (current, _), i, j = best
        sel[i], spare[j] = spare[j], sel[i]
        swaps += 1
    return Balance(np.array(sel, dtype=int), swaps, before, current, replications)

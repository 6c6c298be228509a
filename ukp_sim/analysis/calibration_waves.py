"""How each later wave of history matching chooses its candidates: around the candidates not
yet ruled out (``next_wave``), or screened by Gaussian-process emulators (``emulated_wave``)."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import qmc

from ukp_sim.analysis.calibration_core import implausibility, maximin, year_variance


def next_wave(P: np.ndarray, keep: np.ndarray, n: int, lo, hi, rng, floor: float) -> np.ndarray:
    """Candidates for the next wave, half to explore and half to fill in. The first half is a Latin
    hypercube over the box the kept candidates span, widened by a tenth of the prior range on each
    side (so the wave reaches the whole region not yet ruled out, not only its first-found
    corner); the second a Gaussian cloud around the kept candidates, its spread half theirs per
    parameter (at least ``floor`` of the prior range). All clipped to the prior box."""
    parents = P[keep]
    pad = 0.1 * (hi - lo)
    box_lo = np.maximum(lo, parents.min(axis=0) - pad)
    box_hi = np.minimum(hi, parents.max(axis=0) + pad)
    n_box = n // 2
    box = box_lo + qmc.LatinHypercube(d=len(lo), seed=rng).random(n_box) * (box_hi - box_lo)
    scale = np.maximum(0.5 * parents.std(axis=0), floor * (hi - lo))
    pick = parents[rng.integers(0, len(parents), n - n_box)]
    cloud = pick + rng.normal(size=pick.shape) * scale
    return np.clip(np.vstack([box, cloud]), lo, hi)


CLIMB_STARTS = 100  # proposals the emulated search improves ...
CLIMB_ROUNDS = 40  # ... in at most this many steps
CLIMB_STEPS = np.array([0.3, 0.1, 0.03, 0.01, 0.003, 0.001])  # step lengths tried (unit cube)


def _climb(score_of, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Improve proposals on the emulators by steepest descent with a line search, all proposals
    at once: the emulators' mean is smooth and cheap, so a finite-difference slope and a handful
    of step lengths per round cost one batch of predictions. ``score_of`` returns one value per
    point, or [point, target] implausibilities, which are then combined into a smooth maximum
    (the 8-norm) that the descent lowers; the maximum itself is returned with each point. In a
    26-dimensional box random proposals rarely land in a small plausible region, while the
    emulators' slope towards it is cheap to follow."""
    def total(z):
        v = score_of(z)
        return (v, v) if v.ndim == 1 else (v.max(axis=1), (v ** 8).mean(axis=1) ** (1 / 8))

    x = start.copy()
    f, g = total(x)
    n, d = x.shape
    h = 1e-4
    active = np.ones(n, bool)
    for _ in range(CLIMB_ROUNDS):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xa = x[idx]
        probe = np.clip(np.repeat(xa, d, axis=0) + np.tile(np.eye(d) * h, (idx.size, 1)), 0.0, 1.0)
        slope = (total(probe)[1].reshape(idx.size, d) - g[idx, None]) / h
        slope[(xa <= 0.0) & (slope > 0)] = 0.0  # at a bound, only moves back into the box count
        slope[(xa >= 1.0) & (slope < 0)] = 0.0
        norm = np.linalg.norm(slope, axis=1)
        direction = -slope / np.where(norm > 0, norm, 1.0)[:, None]
        k = CLIMB_STEPS.size
        tries = np.clip(np.repeat(xa, k, axis=0) + np.tile(CLIMB_STEPS, idx.size)[:, None]
                        * np.repeat(direction, k, axis=0), 0.0, 1.0)
        ft, gt = (v.reshape(idx.size, k) for v in total(tries))
        j = gt.argmin(axis=1)
        rows = np.arange(idx.size)
        better = (gt[rows, j] < g[idx]) & (norm > 0)
        moved = idx[better]
        x[moved] = tries.reshape(idx.size, k, d)[rows, j][better]
        f[moved], g[moved] = ft[rows, j][better], gt[rows, j][better]
        active[idx[~better]] = False
    return x, f


def _spread_pick(cands: np.ndarray, n: int, rng) -> np.ndarray:
    """``n`` of ``cands`` (indices) spread out: greedy maximin from a random first one (duplicates
    too, if that is what it takes to fill the wave)."""
    return maximin(cands, n, first=int(rng.integers(len(cands))))


def emulated_wave(P, sims, keep, n, lo, hi, rng, targets, active, st) -> tuple[np.ndarray, str]:
    """The next wave, screened by emulators fitted (on the log scale) to every candidate so far.
    Proposals come from the whole prior box and from the box around the kept candidates (half
    each); the least implausible of them are then moved down the emulators' mean (``_climb``)
    and scored again with the emulators' uncertainty. A quarter of the wave is always the least
    implausible improved proposals (the emulators' best guesses, to be tested). If the emulators
    cannot rule out enough proposals to fill the rest, it is spread out over them (maximin:
    classic refocusing); otherwise half the wave is the best guesses and half those scattered
    (the emulators are least reliable where they have not been trained), so a wave both tests
    the emulators' best guess and teaches them around it."""
    from ukp_sim.analysis.emulator import Emulators, emulator_implausibility

    span = hi - lo
    unit = (P - lo) / span
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(sims, axis=1)[:, active]
    rank = np.argsort(implausibility(sims, targets, st.model_discrepancy, st.one_year_variance)[:, active].max(axis=1))
    em = Emulators(unit, means, rng, log=True, rank=rank)
    # one year's spread varies over the box as much as the mean (near full beds it explodes), so it
    # has emulators of its own (of the log of the SD over replications; Andrianakis et al. 2017)
    em_sd = None
    if st.one_year_variance:
        em_sd = Emulators(unit, np.sqrt(year_variance(sims))[:, active], rng, log=True, rank=rank)
    obs = np.array([t.observed for t in targets])[active]
    tol = np.array([t.tolerance for t in targets])[active]
    sd_bound = np.array([t.year_sd_bound for t in targets])[active]

    def impl_of(x, std=True):
        mean, sd = em.predict(x, std)
        run_sd = None
        if em_sd is not None:
            log_sd = em_sd.predict(x, False)[0]
            run_sd = np.where(np.isnan(log_sd), 0.0, np.exp(log_sd - mean))  # relative: the log scale's SD
        return emulator_implausibility(mean, sd, obs, tol, st.model_discrepancy, log=True, run_sd=run_sd,
                                       run_sd_bound=sd_bound)

    def score_of(x):
        return impl_of(x).max(axis=1)

    m = st.emulator_proposals
    whole = qmc.LatinHypercube(d=len(lo), seed=rng).random(m // 2)
    k_lo = np.maximum(0.0, unit[keep].min(axis=0) - 0.1)
    k_hi = np.minimum(1.0, unit[keep].max(axis=0) + 0.1)
    near = k_lo + qmc.LatinHypercube(d=len(lo), seed=rng).random(m - m // 2) * (k_hi - k_lo)
    props = np.vstack([whole, near])
    score = score_of(props)
    first = np.argsort(score)[:CLIMB_STARTS]
    climbed, _ = _climb(lambda x: impl_of(x, std=False), props[first])  # the emulators' mean leads
    c_score = score_of(climbed)
    props = np.vstack([props, climbed])
    score = np.concatenate([score, c_score])
    ok = np.flatnonzero(score <= st.implausibility_cutoff)
    lead = climbed[np.argsort(c_score)[: n // 4]]  # always test the emulators' best guesses
    rest = n - len(lead)
    if ok.size >= rest:
        chosen = np.vstack([lead, props[ok[_spread_pick(props[ok], rest, rng)]]])
    else:
        best = climbed[np.argsort(c_score)[: n - n // 2]]
        scatter = best[rng.integers(0, len(best), n // 2)]
        scatter = np.clip(scatter + rng.normal(scale=0.05, size=scatter.shape), 0.0, 1.0)
        chosen = np.vstack([best, scatter])
    origin = (f"emulator: {ok.size} of {len(props)} proposals not ruled out "
              f"(least emulated implausibility {score.min():.2f})")
    return lo + chosen * span, origin

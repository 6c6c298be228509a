"""How each later wave of history matching chooses its candidates: around the candidates not
yet ruled out (``next_wave``), or screened by Gaussian-process emulators (``emulated_wave``)."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import qmc


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


def emulated_wave(P, sims, keep, n, lo, hi, rng, targets, active, st) -> tuple[np.ndarray, str]:
    """The next wave, screened by emulators fitted to every candidate so far: proposals from the
    whole prior box and from the box around the kept candidates (half each); those the emulators
    cannot rule out are simulated (a random n of them), or, while fewer than n are, the n the
    emulators find least implausible."""
    from ukp_sim.analysis.emulator import Emulators, emulator_implausibility

    span = hi - lo
    unit = (P - lo) / span
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(sims, axis=1)[:, active]
    em = Emulators(unit, means, rng)
    m = st.emulator_proposals
    whole = qmc.LatinHypercube(d=len(lo), seed=rng).random(m // 2)
    k_lo = np.maximum(0.0, unit[keep].min(axis=0) - 0.1)
    k_hi = np.minimum(1.0, unit[keep].max(axis=0) + 0.1)
    near = k_lo + qmc.LatinHypercube(d=len(lo), seed=rng).random(m - m // 2) * (k_hi - k_lo)
    props = np.vstack([whole, near])
    mean, sd = em.predict(props)
    obs = np.array([t.observed for t in targets])[active]
    tol = np.array([t.tolerance for t in targets])[active]
    score = emulator_implausibility(mean, sd, obs, tol, st.model_discrepancy).max(axis=1)
    ok = np.flatnonzero(score <= st.implausibility_cutoff)
    if ok.size >= n:
        pick = rng.choice(ok, n, replace=False)
    else:
        pick = np.argsort(score)[:n]
    origin = f"emulator: {ok.size} of {m} proposals not ruled out"
    return lo + props[pick] * span, origin

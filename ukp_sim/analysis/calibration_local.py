"""The calibration's last step: a compass search that polishes the best candidate the waves found
(the waves sample sparsely; the search moves one parameter at a time)."""
from __future__ import annotations

import numpy as np

from ukp_sim.analysis.calibration_core import simulate_candidates, year_distance
from ukp_sim.analysis.calibration_params import apply_parameters


def local_search(data, path, params, targets, x0, lo, hi, seed, jobs, st, progress, year):
    """Compass search (Kolda, Lewis & Torczon 2003) on the one-year squared error, in the unit
    cube, with the same seeds for every evaluation (common random numbers make the objective
    nearly smooth). Each sweep tries every parameter a step up and down in one batch, then the
    combination of all the moves that helped; a parameter whose moves did not help halves its
    step. It suits this model, whose municipalities answer mostly to their own parameters.
    Returns the best point and its simulations, or (x0, None) if nothing better was found."""
    reps = st.local_replications
    d = len(x0)

    def evaluate(points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        xs = [lo + np.clip(z, 0, 1) * (hi - lo) for z in points]
        bar = (lambda k: progress(f"{year} local search", k, st.local_evaluations * reps)) if progress else None
        sims = simulate_candidates([apply_parameters(data, params, x) for x in xs], path, targets, seed, reps,
                                   jobs, bar)
        return year_distance(sims, targets), sims

    z = (x0 - lo) / (hi - lo)
    val, sims = evaluate([z])
    val, best_sims, start = float(val[0]), sims[0], float(val[0])
    step = np.full(d, 0.1)
    used = 1
    while used + 2 * d + 1 <= st.local_evaluations and step.max() >= 0.01:
        trials = []
        for j in range(d):
            for sign in (1.0, -1.0):
                t = z.copy()
                t[j] = np.clip(t[j] + sign * step[j], 0.0, 1.0)
                trials.append(t)
        vals, tsims = evaluate(trials)
        used += len(trials)
        gains = val - vals.reshape(d, 2)
        helped = gains.max(axis=1) > 0
        if not helped.any():
            step *= 0.5
            continue
        combined = z.copy()
        for j in np.flatnonzero(helped):
            combined[j] = trials[2 * j + int(np.argmax(gains[j]))][j]
        cval, csims = evaluate([combined])
        used += 1
        k = int(np.argmin(vals))
        if cval[0] < vals[k]:
            z, val, best_sims = combined, float(cval[0]), csims[0]
        else:
            z, val, best_sims = trials[k], float(vals[k]), tsims[k]
        step[~helped] *= 0.5
    if val >= start:
        return x0, None
    return lo + np.clip(z, 0, 1) * (hi - lo), best_sims

"""Global sensitivity over the plausible worlds: which uncertain input explains most of the spread
of an answer, so the competence group knows what to measure first.

The worlds are a few dozen points chosen to cover the plausible region, not a Saltelli design, so
Sobol' indices cannot be estimated from them directly. Instead (Oakley & O'Hagan 2004; Marrel et
al. 2009): a Gaussian process is fitted to the worlds' mean outputs, and Sobol' first-order and
total-order indices (Saltelli et al. 2010, via SALib) are computed on its mean over independent
uniform inputs, each over the range its worlds span (the plausible region's box: outside it the
emulator would extrapolate and the data have ruled those values out). The indices' intervals
come from refitting the emulator on bootstrap resamples of the worlds: with 30 worlds and 26
inputs the emulator itself is the main uncertainty, and the interval says so.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

SENSITIVITY_COLUMNS = ["output", "parameter", "first_order", "total_order", "ci_low", "ci_high", "worlds", "method"]
METHOD = ("Sobol' indices (Saltelli 2010 estimators, SALib) on a Gaussian-process emulator of the worlds' mean "
          "outputs, inputs uniform over the worlds' ranges; ci_low/ci_high: 95 % bootstrap interval over the "
          "worlds of the total-order index")


def _emulator(x: np.ndarray, y: np.ndarray, seed: int, start=None):
    """The emulator of one output. ``start`` (a fitted kernel) warm-starts a bootstrap refit from the
    full fit's hyperparameters with one optimisation instead of three: the resample's optimum lies
    near the full data's, and the bootstrap is most of sensitivity's time."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = start if start is not None else (
        ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(x.shape[1]), (0.05, 100.0), nu=2.5)
        + WhiteKernel(0.05, (1e-6, 1.0)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0 if start is not None else 2,
                                  random_state=seed)
    with warnings.catch_warnings():  # a flat input reaches its length-scale bound: that is the finding
        warnings.simplefilter("ignore")
        gp.fit(x, y)
    return gp


def _problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


@lru_cache(maxsize=8)
def _saltelli(d: int, base: int, seed: int) -> np.ndarray:
    """The Saltelli design of ``d`` inputs (SALib builds it in pure Python, slowly): the same for
    every output and bootstrap of a study, so it is built once."""
    from SALib.sample import sobol as sample

    xs = sample.sample(_problem(d), base, calc_second_order=False, seed=seed)
    xs.flags.writeable = False
    return xs


def _sobol(gp, d: int, base: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from SALib.analyze import sobol as analyze

    problem = _problem(d)
    ys = gp.predict(_saltelli(d, base, seed))
    if np.ptp(ys) == 0:
        return np.zeros(d), np.zeros(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = analyze.analyze(problem, ys, calc_second_order=False, num_resamples=2, seed=seed)
    return np.clip(si["S1"], 0.0, 1.0), np.clip(si["ST"], 0.0, 1.0)


def sobol_over_worlds(points: np.ndarray, values: np.ndarray, names: list[str], output: str, seed: int = 1,
                      base: int = 512, boots: int = 20) -> pd.DataFrame:
    """Sobol' indices of ``output`` (one mean per world, ``values``) on the worlds' parameters
    (``points`` [world, parameter]); rows by falling total order. Inputs that do not vary over
    the worlds get indices 0 and are left out of the emulator."""
    ok = np.isfinite(values)
    pts, y = points[ok], values[ok]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    varies = hi > lo
    unit = (pts[:, varies] - lo[varies]) / (hi[varies] - lo[varies])
    d = int(varies.sum())
    s1, st = np.zeros(len(names)), np.zeros(len(names))
    low, high = np.zeros(len(names)), np.zeros(len(names))
    if d and len(y) >= 5 and np.ptp(y) > 0:
        full = _emulator(unit, y, seed)
        s1[varies], st[varies] = _sobol(full, d, base, seed)
        rng = np.random.default_rng(seed)
        boot = []
        for _ in range(boots):
            pick = rng.integers(0, len(y), len(y))
            if np.ptp(y[pick]) == 0:
                continue
            boot.append(_sobol(_emulator(unit[pick], y[pick], seed, full.kernel_), d, base, seed)[1])
        if boot:
            low[varies], high[varies] = np.percentile(np.array(boot), [2.5, 97.5], axis=0)
    table = pd.DataFrame({"output": output, "parameter": names, "first_order": s1, "total_order": st,
                          "ci_low": low, "ci_high": high, "worlds": int(ok.sum()), "method": METHOD})
    return table.sort_values("total_order", ascending=False, kind="stable", ignore_index=True)


def sobol_tables(jobs: list[tuple], workers: int = 1) -> list[pd.DataFrame]:
    """``sobol_over_worlds(points, values, names, output, seed)`` for each tuple of ``jobs``, in
    order; with ``workers`` > 1 the outputs run in parallel processes (each is seeded on its own,
    so the tables are the same on any number of workers)."""
    if workers <= 1 or len(jobs) < 2:
        return [_sobol_job(j) for j in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(_sobol_job, jobs))


def _sobol_job(job: tuple) -> pd.DataFrame:
    points, values, names, output, seed = job
    return sobol_over_worlds(points, values, names, output, seed=seed)

"""Gaussian-process emulators that screen calibration candidates before they are simulated.

History matching with an emulator (Andrianakis et al. 2015; Vernon, Goldstein & Bower 2010):
after a wave, one Gaussian process per target is fitted to the candidates' simulated means;
many proposals are then scored by the emulators' implausibility (their prediction error
included), and the next wave simulates only proposals the emulators cannot rule out. Each
emulator uses every parameter (one length scale each), emulates the log of its target, and is
trained on the least implausible candidates plus a random share: on the 2022 candidates, held-out
log errors of the UKP-days near the best region were 0.12-0.21, against 0.4-0.9 with the six
or eight most correlated inputs only (which ``active`` still allows) trained at random.
"""
from __future__ import annotations

import warnings

import numpy as np

ACTIVE_INPUTS = None  # parameters per emulator (None: all)
TRAINING_POINTS = 300  # the emulator is fitted on at most this many candidates ...
TRAINING_BEST = 200  # ... of which this many are the least implausible (the rest random)


def _active_inputs(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` inputs with the strongest linear or quadratic correlation with y."""
    score = np.zeros(x.shape[1])
    yc = y - y.mean()
    if not np.any(yc):
        return np.arange(min(k, x.shape[1]))
    for j in range(x.shape[1]):
        for f in (x[:, j], (x[:, j] - 0.5) ** 2):
            fc = f - f.mean()
            den = np.sqrt((fc ** 2).sum() * (yc ** 2).sum())
            if den > 0:
                score[j] = max(score[j], abs((fc * yc).sum()) / den)
    return np.argsort(-score)[:k]


def _training_subset(ok: np.ndarray, n: int, rank: np.ndarray | None, rng) -> np.ndarray:
    """``n`` of the candidates ``ok``: the ``TRAINING_BEST`` first by ``rank`` (least implausible
    first; the emulators must be accurate where the search is heading) and the rest at random
    (so they still know the box), or all at random without a rank."""
    if rank is None:
        return np.sort(rng.choice(ok, n, replace=False))
    pos = np.empty(len(rank), int)
    pos[rank] = np.arange(len(rank))
    by_rank = ok[np.argsort(pos[ok])]
    head = by_rank[:min(TRAINING_BEST, n)]
    tail = rng.choice(by_rank[len(head):], n - len(head), replace=False)
    return np.sort(np.concatenate([head, tail]))


class Emulators:
    """One Gaussian process per target on the unit cube of the prior box. With ``log=True`` each
    emulates the logarithm of its target: queue lengths explode near saturation (a candidate's
    UKP-days range over two orders of magnitude in the prior box), and on the log scale the
    response is smooth enough for a stationary kernel; the implausibility is then on the
    relative error (``emulator_implausibility(..., log=True)``)."""

    def __init__(self, unit: np.ndarray, means: np.ndarray, rng: np.random.Generator,
                 active: int | None = ACTIVE_INPUTS, training: int = TRAINING_POINTS, log: bool = False,
                 rank: np.ndarray | None = None):
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                means = np.where(means > 0, np.log(np.where(means > 0, means, 1.0)), np.nan)
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        self.models = []
        for k in range(means.shape[1]):
            ok = np.flatnonzero(np.isfinite(means[:, k]))
            if ok.size > training:
                ok = _training_subset(ok, training, rank, rng)
            if ok.size < 5:
                self.models.append(None)
                continue
            x, y = unit[ok], means[ok, k]
            act = (np.arange(unit.shape[1]) if active is None or active >= unit.shape[1]
                   else _active_inputs(x, y, active))
            kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(act.size, 0.5), (0.02, 20.0), nu=2.5)
                      + WhiteKernel(0.1, (1e-6, 10.0)))
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0,
                                          random_state=int(rng.integers(2**31)))
            with warnings.catch_warnings():  # bounds reached on a flat input: harmless here
                warnings.simplefilter("ignore")
                gp.fit(x[:, act], y)
            self.models.append((act, gp))

    def predict(self, unit: np.ndarray, std: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation [proposal, target]; NaN where a target has no emulator.
        ``std=False`` returns SD 0 at a fraction of the cost (the search on the emulators)."""
        mean = np.full((len(unit), len(self.models)), np.nan)
        sd = np.full_like(mean, np.nan)
        for k, model in enumerate(self.models):
            if model is not None:
                act, gp = model
                if std:
                    mean[:, k], sd[:, k] = gp.predict(unit[:, act], return_std=True)
                else:
                    mean[:, k], sd[:, k] = gp.predict(unit[:, act]), 0.0
        return mean, sd


def emulator_implausibility(mean: np.ndarray, sd: np.ndarray, observed: np.ndarray, tolerance: np.ndarray,
                            discrepancy: float, log: bool = False, run_sd: np.ndarray | None = None,
                            run_sd_bound: np.ndarray | None = None) -> np.ndarray:
    """|emulated mean - observed| / sqrt(observation + discrepancy + emulator variance [+ one
    year's variance]): the emulator's variance includes its nugget, i.e. the simulation noise of a
    candidate's mean; ``run_sd`` is the SD of one simulated year (on the log scale: relative to
    the mean), when the observation counts as one year of a stochastic process, at most
    ``run_sd_bound`` (in the figure's units; CalTarget.year_sd_bound). With ``log=True``
    the means and SDs are of log values and the observation's error is taken relative (tolerance /
    observed): to first order the same measure for a candidate near the target, and a graded one
    for a candidate far from it."""
    if run_sd is not None and run_sd_bound is not None:
        bound = run_sd_bound / np.exp(mean) if log else run_sd_bound  # on the log scale relative to the mean
        run_sd = np.minimum(run_sd, bound)
    if log:
        observed, tolerance = np.log(observed), tolerance / observed
    var = (tolerance / 2.0) ** 2 * (1.0 + discrepancy ** 2) + sd ** 2
    if run_sd is not None:
        var = var + run_sd ** 2
    out = np.abs(mean - observed) / np.sqrt(var)
    return np.where(np.isnan(out), 0.0, out)  # a target without an emulator rules nothing out

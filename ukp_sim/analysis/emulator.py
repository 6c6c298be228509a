"""Gaussian-process emulators that screen calibration candidates before they are simulated.

History matching with an emulator (Andrianakis et al. 2015; Vernon, Goldstein & Bower 2010):
after a wave, one Gaussian process per target is fitted to the candidates' simulated means;
many proposals are then scored by the emulators' implausibility (their prediction error
included), and the next wave simulates only proposals the emulators cannot rule out. Each
emulator uses the target's **active inputs** only (the parameters most correlated with it,
linearly or quadratically), since most targets answer to a few parameters (a municipality's own)
and a Gaussian process over all of them would be slow and poorly fitted with a few hundred points.
"""
from __future__ import annotations

import warnings

import numpy as np

ACTIVE_INPUTS = 6  # parameters per emulator
TRAINING_POINTS = 400  # the emulator is fitted on at most this many candidates


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


class Emulators:
    """One Gaussian process per target on the unit cube of the prior box."""

    def __init__(self, unit: np.ndarray, means: np.ndarray, rng: np.random.Generator,
                 active: int = ACTIVE_INPUTS, training: int = TRAINING_POINTS):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        self.models = []
        for k in range(means.shape[1]):
            ok = np.flatnonzero(np.isfinite(means[:, k]))
            if ok.size > training:  # keep a spread-out subset, the candidates' order being random
                ok = np.sort(rng.choice(ok, training, replace=False))
            if ok.size < 5:
                self.models.append(None)
                continue
            x, y = unit[ok], means[ok, k]
            act = _active_inputs(x, y, min(active, unit.shape[1]))
            kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(act.size, 0.5), (0.02, 20.0), nu=2.5)
                      + WhiteKernel(0.1, (1e-6, 10.0)))
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0,
                                          random_state=int(rng.integers(2**31)))
            with warnings.catch_warnings():  # bounds reached on a flat input: harmless here
                warnings.simplefilter("ignore")
                gp.fit(x[:, act], y)
            self.models.append((act, gp))

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation [proposal, target]; NaN where a target has no emulator."""
        mean = np.full((len(unit), len(self.models)), np.nan)
        sd = np.full_like(mean, np.nan)
        for k, model in enumerate(self.models):
            if model is not None:
                act, gp = model
                mean[:, k], sd[:, k] = gp.predict(unit[:, act], return_std=True)
        return mean, sd


def emulator_implausibility(mean: np.ndarray, sd: np.ndarray, observed: np.ndarray, tolerance: np.ndarray,
                            discrepancy: float) -> np.ndarray:
    """|emulated mean - observed| / sqrt(observation + discrepancy + emulator variance): the
    emulator's variance includes its nugget, i.e. the simulation noise of a candidate's mean."""
    var = (tolerance / 2.0) ** 2 * (1.0 + discrepancy ** 2) + sd ** 2
    out = np.abs(mean - observed) / np.sqrt(var)
    return np.where(np.isnan(out), 0.0, out)  # a target without an emulator rules nothing out

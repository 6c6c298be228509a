"""The Gaussian-process emulators that screen calibration candidates."""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.analysis.emulator import Emulators, _active_inputs, emulator_implausibility


def test_active_inputs_find_the_parameters_a_target_depends_on():
    rng = np.random.default_rng(3)
    x = rng.random((300, 8))
    y = 3 * x[:, 5] + 4 * (x[:, 2] - 0.5) ** 2 + 0.01 * rng.normal(size=300)  # one linear, one U-shaped
    assert set(_active_inputs(x, y, 2)) == {5, 2}


def test_emulators_predict_held_out_candidates_within_their_stated_uncertainty():
    rng = np.random.default_rng(4)
    x = rng.random((250, 8))

    def f(z):
        return np.column_stack([3 * z[:, 1] + np.sin(4 * z[:, 6]), 10 * z[:, 0] * z[:, 3]])

    em = Emulators(x, f(x) + 0.02 * rng.normal(size=(250, 2)), rng)
    z = rng.random((500, 8))
    mean, sd = em.predict(z)
    err = mean - f(z)
    # accurate (each target spans about 4 and 10) and honest: 95 % of errors inside 2 SD
    assert np.sqrt((err ** 2).mean(axis=0)).tolist() < [0.15, 0.5]
    assert (np.abs(err) <= 2 * sd).mean() >= 0.9


def test_emulator_implausibility_adds_the_emulator_variance_and_ignores_missing_emulators():
    got = emulator_implausibility(np.array([[110.0, np.nan]]), np.array([[6.0, np.nan]]), np.array([100.0, 1.0]),
                                  np.array([16.0, 1.0]), discrepancy=0.5)
    assert got[0, 0] == pytest.approx(10.0 / np.sqrt(64.0 * 1.25 + 36.0))
    assert got[0, 1] == 0.0

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


def test_emulator_implausibility_adds_one_years_variance_on_the_relative_scale():
    """``run_sd`` is one year's SD relative to the mean (the log scale's SD): 10 % scatter around a
    mean 10 % above the observation adds its variance to the observation's (0.1 relative SD each)."""
    args = (np.log([[110.0]]), np.array([[0.0]]), np.array([100.0]), np.array([20.0]))
    without = emulator_implausibility(*args, discrepancy=0.0, log=True)
    with_run = emulator_implausibility(*args, discrepancy=0.0, log=True, run_sd=np.array([[0.1]]))
    assert without[0, 0] == pytest.approx(np.log(1.1) / 0.1)
    assert with_run[0, 0] == pytest.approx(np.log(1.1) / np.sqrt(0.01 + 0.01))


def test_emulated_one_year_spread_is_bounded_like_the_simulated_one():
    """``run_sd_bound`` (in the figure's units) caps the emulated single-year SD: on the log scale
    it is relative to the emulated mean (110 here), so a bound of 5.5 is 5 % of it; an infinite
    bound changes nothing."""
    args = (np.log([[110.0]]), np.array([[0.0]]), np.array([100.0]), np.array([20.0]))
    run = np.array([[0.3]])
    free = emulator_implausibility(*args, discrepancy=0.0, log=True, run_sd=run)
    assert emulator_implausibility(*args, discrepancy=0.0, log=True, run_sd=run,
                                   run_sd_bound=np.array([np.inf]))[0, 0] == free[0, 0]
    capped = emulator_implausibility(*args, discrepancy=0.0, log=True, run_sd=run, run_sd_bound=np.array([5.5]))
    assert capped[0, 0] == pytest.approx(np.log(1.1) / np.sqrt(0.01 + 0.05 ** 2))
    flat = emulator_implausibility(np.array([[110.0]]), np.array([[0.0]]), np.array([100.0]), np.array([20.0]),
                                   discrepancy=0.0, run_sd=np.array([[30.0]]), run_sd_bound=np.array([5.0]))
    assert flat[0, 0] == pytest.approx(10.0 / np.sqrt(100.0 + 25.0))


def test_log_emulators_fit_an_exploding_response_and_score_the_relative_error():
    # a queue-like response: 1 / (1 - load), from 1 to 100 over the box, in two of six inputs
    rng = np.random.default_rng(5)
    x = rng.random((300, 6))

    def f(z):
        return (1.0 / (1.0 - 0.99 * z[:, 2] * z[:, 4]))[:, None]

    em = Emulators(x, f(x), rng, log=True)
    z = rng.random((400, 6))
    mean, sd = em.predict(z)
    err = mean[:, 0] - np.log(f(z)[:, 0])
    assert np.sqrt((err ** 2).mean()) < 0.1  # within 10 % over a hundredfold range
    got = emulator_implausibility(np.log([[110.0]]), np.array([[0.0]]), np.array([100.0]), np.array([20.0]),
                                  discrepancy=0.0, log=True)
    assert got[0, 0] == pytest.approx(np.log(1.1) / 0.1)


def test_climb_follows_the_score_down_into_a_small_region():
    from ukp_sim.analysis.calibration_waves import _climb

    rng = np.random.default_rng(6)
    centre = np.full(20, 0.3)
    start = rng.random((50, 20))
    x, f = _climb(lambda z: np.linalg.norm(z - centre, axis=1) / 0.05, start)
    assert f.min() <= 1.0  # inside a ball of radius 0.05 around the centre, a 1e-28 share of the cube
    assert np.allclose(x[f.argmin()], centre, atol=0.05)
    assert np.all(f <= np.linalg.norm(start - centre, axis=1) / 0.05)  # never worse than the start


def test_spread_pick_takes_far_apart_points():
    from ukp_sim.analysis.calibration_waves import _spread_pick

    rng = np.random.default_rng(7)
    cluster = 0.5 + 0.01 * rng.random((100, 2))
    pts = np.vstack([cluster, [[0.0, 0.0], [1.0, 1.0]]])
    pick = _spread_pick(pts, 3, rng)
    assert {100, 101} <= set(pick.tolist())


@pytest.mark.slow
@pytest.mark.parametrize("one_year", [False, True])
def test_emulated_wave_finds_a_region_that_random_sampling_misses(one_year):
    from types import SimpleNamespace

    from ukp_sim.analysis.calibration_waves import emulated_wave

    rng = np.random.default_rng(8)
    d = 12
    lo, hi = np.zeros(d), np.full(d, 10.0)

    def simulate(p):  # three targets, each answering to two inputs; all met only near (3, 7, 5, 2, 8, 4)
        return np.column_stack([np.exp(p[:, 0] / 3) * p[:, 1], 1 + p[:, 2] ** 2 + p[:, 3], 50 + p[:, 4] * p[:, 5]])

    truth = np.array([3.0, 7, 5, 2, 8, 4, 5, 5, 5, 5, 5, 5])
    obs = simulate(truth[None])[0]
    targets = [SimpleNamespace(observed=v, tolerance=0.03 * v, year_sd_bound=float("inf")) for v in obs]
    st = SimpleNamespace(model_discrepancy=0.5, implausibility_cutoff=3.0, emulator_proposals=5000,
                         one_year_variance=one_year)  # with one replication there is no year's spread to emulate
    P = rng.random((150, d)) * 10
    sims = simulate(P)[:, None, :]
    active = np.ones(3, bool)

    def plausible_share(points):
        v = simulate(points)
        return (np.abs(v - obs) / (0.015 * obs * np.sqrt(1.25)) <= 3).all(axis=1).mean()

    assert plausible_share(P) == 0.0  # the random first wave misses the region
    for _ in range(2):
        keep = np.argsort((np.abs(sims[:, 0] - obs) / obs).sum(axis=1))[:15]
        new, origin = emulated_wave(P, sims, keep, 60, lo, hi, rng, targets, active, st)
        P, sims = np.vstack([P, new]), np.concatenate([sims, simulate(new)[:, None, :]])
    assert "emulator" in origin
    assert plausible_share(new) >= 0.25


def test_training_subset_keeps_the_least_implausible_and_fills_up_at_random():
    """Of 1,000 candidates with 400 to choose, the TRAINING_BEST least implausible are always in
    (the emulators must be right where the search heads) and the others come from the whole rest
    (so they still know the box), without duplicates and only among candidates with a value."""
    from ukp_sim.analysis.emulator import TRAINING_BEST, _training_subset

    rng = np.random.default_rng(3)
    rank = rng.permutation(1000)  # rank[0] is the least implausible
    ok = np.setdiff1d(np.arange(1000), rank[5:10])  # five of the best have no value for this target
    pick = _training_subset(ok, 400, rank, rng)
    assert pick.size == np.unique(pick).size == 400 and np.isin(pick, ok).all()
    best = [i for i in rank if i in set(ok)][:TRAINING_BEST]
    assert set(best) <= set(pick)
    rest = np.setdiff1d(pick, best)
    worst_half = set(rank[500:])
    assert 0.3 < np.mean([i in worst_half for i in rest]) < 0.7  # spread over the rest, not its head

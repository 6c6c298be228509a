"""Sobol' indices over the plausible worlds, on an emulator of the worlds' means."""
import numpy as np
import pandas as pd
import pytest

from ukp_sim.analysis.sensitivity import sobol_over_worlds


def test_a_linear_answer_gets_the_analytic_indices():
    """y = 5 x0 + x1 on 40 worlds spread over [0, 1]^5: for independent uniform inputs the
    first-order and total indices of a linear function are a_i^2 / sum(a^2), i.e. 25/26 = 0.962
    and 1/26 = 0.038, and 0 for the three inputs y does not depend on. The tolerance (0.05) is the
    emulator's error on 40 points plus SALib's Monte Carlo error at 512 base samples."""
    rng = np.random.default_rng(4)
    x = rng.random((40, 5))
    y = 5 * x[:, 0] + x[:, 1]
    names = ["a", "b", "c", "d", "e"]
    t = sobol_over_worlds(x, y, names, "y", seed=3, boots=5).set_index("parameter")
    assert list(t.index[:2]) == ["a", "b"]
    assert t.loc["a", "total_order"] == pytest.approx(25 / 26, abs=0.05)
    assert t.loc["a", "first_order"] == pytest.approx(25 / 26, abs=0.05)
    assert t.loc["b", "total_order"] == pytest.approx(1 / 26, abs=0.05)
    assert (t.loc[["c", "d", "e"], "total_order"] < 0.05).all()
    assert (t["ci_low"] <= t["ci_high"]).all() and t.loc["a", "ci_low"] > 0.5


def test_an_interaction_shows_in_the_total_but_not_the_first_order_index():
    """y = (x0 - 0.5)(x1 - 0.5): no main effect at all, everything is interaction, so both
    inputs have first-order index about 0 and total-order index about 1."""
    rng = np.random.default_rng(5)
    x = rng.random((60, 3))
    y = (x[:, 0] - 0.5) * (x[:, 1] - 0.5)
    t = sobol_over_worlds(x, y, ["a", "b", "c"], "y", seed=2, boots=3).set_index("parameter")
    assert t.loc[["a", "b"], "total_order"].min() > 0.8
    assert t.loc[["a", "b"], "first_order"].max() < 0.15
    assert t.loc["c", "total_order"] < 0.05


def test_inputs_that_do_not_vary_over_the_worlds_get_zero():
    rng = np.random.default_rng(6)
    x = np.column_stack([rng.random(20), np.full(20, 3.0)])
    t = sobol_over_worlds(x, 2 * x[:, 0], ["a", "fixed"], "y", boots=2).set_index("parameter")
    assert t.loc["fixed", "total_order"] == t.loc["fixed", "first_order"] == 0.0
    assert t.loc["a", "total_order"] > 0.9


def test_outputs_in_parallel_processes_give_the_same_tables():
    """The outputs' emulators may run in worker processes; each is seeded on its own, so the
    tables do not depend on the number of workers."""
    from ukp_sim.analysis.sensitivity import sobol_tables

    rng = np.random.default_rng(11)
    x = rng.random((20, 3))
    jobs = [(x, 2 * x[:, 0] + x[:, 1], ["a", "b", "c"], "one", 3),
            (x, x[:, 2] ** 2 + 0.1 * x[:, 0], ["a", "b", "c"], "two", 3)]
    serial = sobol_tables(jobs, 1)
    parallel = sobol_tables(jobs, 2)
    for s, p in zip(serial, parallel):
        pd.testing.assert_frame_equal(s, p)
    assert [t["output"].iloc[0] for t in parallel] == ["one", "two"]
    assert parallel[0]["parameter"].iloc[0] == "a" and parallel[1]["parameter"].iloc[0] == "c"

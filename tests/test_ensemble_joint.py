"""The exact choice of k worlds whose mean meets the most targets together (analysis/ensemble_joint):
checked against enumerating every choice on small problems, and on cases built by hand."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ukp_sim.analysis.ensemble_joint import most_together, trades


def _brute(means, observed, tolerance, weight, k, keep=0, require=()):
    best = None
    others = [i for i in range(len(means)) if i != keep]
    for rest in itertools.combinations(others, k - 1):
        rows = [keep, *rest]
        met = np.abs(means[rows].mean(axis=0) - observed) <= tolerance
        if not all(met[t] for t in require):
            continue
        w = float(weight @ met)
        best = w if best is None else max(best, w)
    return best


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=5, max_value=9),
       st.integers(min_value=2, max_value=4))
def test_the_programme_finds_what_enumerating_every_choice_finds(seed, n, k):
    rng = np.random.default_rng(seed)
    m = 4
    means = rng.normal(0.0, 1.0, size=(n, m))
    observed = rng.normal(0.0, 0.5, size=m)
    tolerance = rng.uniform(0.1, 0.6, size=m)
    weight = rng.choice([1.0, 2.0, 3.0], size=m)
    joint = most_together(means, observed, tolerance, weight, k)
    assert joint is not None and joint.optimal
    assert joint.weight == _brute(means, observed, tolerance, weight, k)
    assert joint.chosen[0] == 0 and len(set(joint.chosen.tolist())) == k
    got = np.abs(means[joint.chosen].mean(axis=0) - observed) <= tolerance
    assert (got == joint.met).all()  # what it says it meets, the chosen worlds' mean meets


def test_it_meets_a_light_target_the_heavy_one_does_not_need_to_give_up():
    """Two targets, weights 3 and 1: worlds 1-3 pull the heavy one's mean in, world 4 or 5 the
    light one's; a choice of 3 can meet both only with worlds 1, 2 and 5."""
    means = np.array([[0.0, 5.0],   # the best (kept)
                      [0.0, -1.0],
                      [3.0, 5.0],
                      [9.0, -5.0],
                      [0.0, -4.0]])
    observed, tolerance, weight = np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([3.0, 1.0])
    joint = most_together(means, observed, tolerance, weight, 3)
    assert sorted(joint.chosen.tolist()) == [0, 1, 4] and joint.met.all() and joint.weight == 4.0


def test_of_equal_choices_it_keeps_the_preferred_worlds():
    means = np.array([[0.0], [0.1], [-0.1], [0.2], [-0.2], [0.05]])
    observed, tolerance, weight = np.array([0.0]), np.array([1.0]), np.array([1.0])
    joint = most_together(means, observed, tolerance, weight, 3, prefer=np.array([0, 3, 4]))
    assert sorted(joint.chosen.tolist()) == [0, 3, 4]
    joint = most_together(means, observed, tolerance, weight, 3, prefer=np.array([0, 1, 5]))
    assert sorted(joint.chosen.tolist()) == [0, 1, 5]


def test_a_trade_names_what_meeting_a_target_gives_up():
    """The heavy target (weight 3) and the light one cannot be met together by 2 worlds: the best
    choice meets the heavy one; meeting the light one instead gives the heavy one up."""
    means = np.array([[0.0, 2.0], [0.0, 2.0], [4.0, -2.0], [3.0, -1.0]])
    observed, tolerance, weight = np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([3.0, 1.0])
    joint = most_together(means, observed, tolerance, weight, 2)
    assert joint.met.tolist() == [True, False]
    (trade,) = trades(means, observed, tolerance, weight, 2, joint)
    assert trade.target == 1 and trade.weight == 1.0 and trade.lost == (0,)


def test_a_target_no_choice_can_meet_is_said_so():
    means = np.array([[0.0, 9.0], [0.0, 8.0], [0.0, 7.0]])
    observed, tolerance, weight = np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    joint = most_together(means, observed, tolerance, weight, 2)
    (trade,) = trades(means, observed, tolerance, weight, 2, joint)
    assert trade.weight is None and most_together(means, observed, tolerance, weight, 2, require=(1,)) is None


def test_a_world_without_a_value_does_not_help_meet_that_target():
    """World 1 has no value for the target; counting it as on the observed figure would let worlds
    0 and 1 meet it (mean of 1.5 and 'nothing'), but only 0 and 2 do."""
    means = np.array([[1.5], [np.nan], [-1.0], [3.0]])
    observed, tolerance, weight = np.array([0.0]), np.array([1.0]), np.array([1.0])
    joint = most_together(means, observed, tolerance, weight, 2)
    assert sorted(joint.chosen.tolist()) == [0, 2] and joint.met.all()


def test_one_world_alone_what_meeting_its_miss_would_cost():
    """The baseline (row 0) meets the heavy target and one light one; worlds 1 and 2 meet both
    light ones and miss the heavy one: meeting the baseline's miss costs the heavy target."""
    from ukp_sim.analysis.ensemble_joint import Joint

    means = np.array([[0.0, 3.0, 0.0], [2.0, 0.0, 0.0], [5.0, 0.5, 0.5]])
    observed, tolerance, weight = np.zeros(3), np.ones(3), np.array([3.0, 1.0, 1.0])
    met = np.abs(means[0] - observed) <= tolerance
    alone = Joint(np.array([0]), met, float(weight @ met), True)
    (trade,) = trades(means, observed, tolerance, weight, 1, alone, keep=None)
    assert trade.target == 1 and trade.weight == 2.0 and trade.lost == (0,)

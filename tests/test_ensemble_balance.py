"""Balancing the ensemble: maximin picks the plausible region's corners; when the region is
lopsided their mean misses the data, and swapping worlds for other plausible ones brings it back."""
from __future__ import annotations

import numpy as np

from ukp_sim.analysis.calibration import HistoryMatch
from ukp_sim.analysis.ensemble import _unit, choose_judged, choose_worlds, judge_pool, most_met, reach, spread_order
from ukp_sim.analysis.ensemble_balance import MARGIN, balance, shortfall
from ukp_sim.config.calibration_file import CalParameter, CalTarget


def _lopsided_hm(n: int = 41) -> HistoryMatch:
    """One parameter u in 0–10; the target's mean is 0.4 u − 1 against an observed 0 ± 1: every
    candidate within 3 tolerances is plausible, the region reaching three times farther above the
    observed figure than below it."""
    u = np.linspace(0.0, 10.0, n)
    means = 0.4 * u - 1.0
    params = [CalParameter(name="u", path="x", low=0.0, high=10.0)]
    target = CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=0.0, tolerance=1.0, source="t")
    sims = np.repeat(means[:, None, None], 3, axis=1)  # [candidate, replication, target]
    impl = np.abs(means)[:, None]
    best = int(np.argmin(np.abs(means)))
    return HistoryMatch(2022, [target], params, u[:, None], np.ones(n), sims, impl, impl[:, 0],
                        np.abs(means), np.array([best]), True, cutoff=3.0)


def test_a_lopsided_region_makes_maximin_miss_and_balancing_meets_the_target():
    hm = _lopsided_hm()
    plain = choose_worlds(hm, 6)
    assert abs(hm.sims[plain, 0, 0].mean()) > 1.0  # the corners' mean misses the tolerance
    assert hm.balance is None
    chosen = choose_worlds(hm, 6, balanced=True)
    assert chosen[0] == hm.best  # the best world stays first
    assert len(set(chosen.tolist())) == 6 and len(chosen) == 6
    assert set(chosen.tolist()) <= set(hm.not_implausible.tolist())
    assert abs(hm.sims[chosen, 0, 0].mean()) <= MARGIN  # within the margin, not merely the tolerance
    assert hm.balance.swaps >= 1 and hm.balance.shortfall_after == 0.0 < hm.balance.shortfall_before
    # still spread: the worlds are not all neighbours of the observed figure
    assert np.ptp(hm.points[chosen, 0]) >= 5.0


def test_balancing_leaves_an_ensemble_already_on_target_alone():
    hm = _lopsided_hm()
    hm.sims = np.zeros_like(hm.sims)  # every candidate hits the target: nothing to balance
    plain = choose_worlds(hm, 6)
    assert choose_worlds(hm, 6, balanced=True).tolist() == plain.tolist()
    assert hm.balance.swaps == 0


def test_shortfall_counts_only_the_excess_over_the_margin_weighted():
    obs, tol = np.array([0.0, 10.0]), np.array([1.0, 2.0])
    inside = np.array([[0.5, 11.0], [-0.5, 10.0]])  # means 0 and 10.5: both within 0.75 tolerances
    assert shortfall(inside, obs, tol, np.array([1.0, 1.0])) == 0.0
    out = np.array([[2.0, 10.0]])  # first target 2 tolerances off: excess 1.25
    assert np.isclose(shortfall(out, obs, tol, np.array([3.0, 1.0])), 3.0 * 1.25**2)
    assert np.isclose(shortfall(np.array([[2.0, np.nan]]), obs, tol, np.array([1.0, 1.0])), 1.25**2)


def test_no_swap_when_no_spare_candidate_helps():
    means = np.array([[0.0], [5.0], [6.0]])
    unit = np.array([[0.0], [0.5], [1.0]])
    b = balance(np.array([0, 1]), np.array([0, 1, 2]), means, unit, np.array([0.0]), np.array([1.0]),
                np.array([1.0]))
    assert b.chosen.tolist() == [0, 1] and b.swaps == 0 and b.shortfall_after == b.shortfall_before > 0


def _judged_table(hm: HistoryMatch, pool: np.ndarray, means: np.ndarray, plausible: np.ndarray):
    import pandas as pd

    label = hm.targets[0].label
    return pd.DataFrame({"world": np.arange(1, len(pool) + 1), "candidate": pool, "plausible": plausible,
                         "replications": 30, f"fit:{label}": means})


def test_judge_pool_takes_the_best_then_the_least_implausible_up_to_the_cap():
    hm = _lopsided_hm()
    pool = judge_pool(hm, 100)
    assert pool[0] == hm.best
    assert set(pool.tolist()) == set(hm.not_implausible.tolist())
    assert np.all(np.diff(hm.max_impl[pool[1:]]) >= 0)  # least implausible first
    short = judge_pool(hm, 5)
    assert short.tolist() == pool[:5].tolist()


def test_choose_judged_balances_on_the_judged_means_and_skips_worlds_they_rule_out():
    """The search's replications say every candidate hits the target; the judged means (more
    replications) are lopsided, and some candidates are no longer plausible with them: the
    ensemble is chosen and balanced on the judged means, among the judged plausible only."""
    hm = _lopsided_hm()
    hm.sims = np.zeros_like(hm.sims)
    pool = judge_pool(hm, 100)
    judged = 0.4 * hm.points[pool, 0] - 1.0
    plausible = np.abs(judged) <= 3.0
    plausible[np.argsort(np.abs(judged))[1]] = False  # the second best fails with more replications
    table = _judged_table(hm, pool, judged, plausible)
    rows = choose_judged(hm, pool, table, 6)
    assert len(rows) == 6 and len(set(rows.tolist())) == 6
    assert rows[0] == int(np.argmin(np.where(plausible, np.abs(judged), np.inf)))  # the judged best first
    assert plausible[rows].all()
    assert abs(judged[rows].mean()) <= MARGIN
    assert hm.balance.replications == 30 and hm.balance.shortfall_after == 0.0
    assert np.ptp(hm.points[pool[rows], 0]) >= 5.0  # still spread over the region


def test_balancing_never_trades_a_met_target_for_a_heavier_ones_margin():
    """Worlds 0 and 1 meet both targets, the heavy one (weight 3) near its tolerance's edge;
    swapping world 1 for world 2 would put the heavy one on the figure and push the light one just
    out. The shortfall alone prefers that swap (3 x 0.24² > 0.30²); the balance refuses it."""
    means = np.array([[0.99, 0.0], [0.99, 0.0], [-0.99, 2.1]])
    obs, tol, w = np.zeros(2), np.ones(2), np.array([3.0, 1.0])
    unit = np.array([[0.0], [0.5], [1.0]])
    assert shortfall(means[[0, 2]], obs, tol, w) < shortfall(means[[0, 1]], obs, tol, w)
    b = balance(np.array([0, 1]), np.array([0, 1, 2]), means, unit, obs, tol, w)
    assert b.chosen.tolist() == [0, 1] and b.swaps == 0 and b.met_before == b.met_after == 4.0


def test_choose_judged_starts_from_the_exact_choice_keeping_the_maximin_picks_it_can():
    """Two targets on one parameter u (0-10, every candidate plausible): the lopsided one is met
    while the worlds' mean of u is at most 5, the second while it is 4.5 ± 0.25. From the best
    (u = 2.5) maximin takes u = 10 and u = 0 (mean 4.17: the second missed). The exact choice
    meets both, keeping the best first and the pick at u = 10; nothing is left to trade."""
    hm = _lopsided_hm()
    second = CalTarget(year=2022, kpi="mean_ukp_stay", municipality="Total", observed=4.5, tolerance=0.25, source="t")
    hm.targets = [hm.targets[0], second]
    pool = judge_pool(hm, 100)
    u = hm.points[pool, 0]
    heavy = 0.4 * u - 1.0
    table = _judged_table(hm, pool, heavy, np.abs(heavy) <= 3.0)
    table["fit:" + second.label] = u  # its ensemble mean is the chosen worlds' mean of u
    rows = choose_judged(hm, pool, table, 3)
    assert u[rows[0]] == 4.5 and 0.0 in u[rows].tolist() and len(set(rows.tolist())) == 3
    assert abs(0.4 * u[rows].mean() - 1.0) <= 1.0 and abs(u[rows].mean() - 4.5) <= 0.25
    rec = hm.joint
    assert rec.joint.optimal and rec.joint.met.all() and rec.trades == [] and rec.worlds == len(pool)
    assert hm.balance.met_after == rec.joint.weight == 2.0
    assert hm.joint_one.joint.met.all() and hm.joint_one.trades == []  # the judged best alone meets both


def test_choose_judged_gives_none_when_no_judged_world_stays_plausible():
    hm = _lopsided_hm()
    pool = judge_pool(hm, 100)
    table = _judged_table(hm, pool, np.full(len(pool), 9.0), np.zeros(len(pool), dtype=bool))
    assert choose_judged(hm, pool, table, 6) is None


def test_reach_tells_a_miss_of_the_choice_from_a_miss_of_the_plausible_region():
    """Ten judged worlds, all plausible: the headline's observed 0 ± 1 lies inside their spread, so
    the 4 closest average within it; a second target every world overshoots cannot be met by any
    4 of them, and the worlds meeting it are counted with and without the headline."""
    import pandas as pd

    head = CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=0.0, tolerance=1.0, source="t")
    other = CalTarget(year=2022, kpi="ukp_days", municipality="Malvik", observed=0.0, tolerance=1.0, source="t")
    told = CalTarget(year=2022, kpi="korttid_occupancy", municipality="Total", observed=0.0, tolerance=1.0,
                     source="t", weight=0.0)
    h = np.linspace(-3.0, 6.0, 10)
    o = np.array([0.5, 2.0, 2.5, 3.0, 3.5, 4.0, 0.9, 5.0, 6.0, 7.0])
    table = pd.DataFrame({"plausible": [True] * 9 + [False], f"fit:{head.label}": h, f"fit:{other.label}": o,
                          f"fit:{told.label}": np.zeros(10)})
    r = {x["target"].label: x for x in reach(table, [head, other, told], 4)}
    assert set(r) == {head.label, other.label}  # a target reported only (weight 0) is left out
    assert r[head.label]["worlds"] == 9 and r[head.label]["meet"] == 3 and r[head.label]["reachable"]
    assert r[other.label]["meet"] == 2  # 0.5 and 0.9 (the tenth world, at 7.0, is not plausible)
    assert r[other.label]["with_headline"] == 0  # neither has the headline (h = -3 and 3) within 1
    # the means any 4 of the 9 plausible worlds can have: from the 4 smallest to the 4 largest
    assert np.isclose(r[other.label]["lowest_mean"], np.mean([0.5, 0.9, 2.0, 2.5]))
    assert np.isclose(r[other.label]["highest_mean"], np.mean([3.5, 4.0, 5.0, 6.0]))
    assert not r[other.label]["reachable"]
    # worlds on both sides of the observed figure: 4 of them can average on it, though no 4 closest do
    both = table.assign(**{f"fit:{other.label}": [-3.0, -3.0, 3.0, 3.0, 3.0, 3.0, -3.0, 3.0, 3.0, 0.0]})
    assert {x["target"].label: x for x in reach(both, [head, other], 4)}[other.label]["reachable"]


def test_most_met_counts_the_worlds_meeting_every_target_and_the_most_any_meets():
    import pandas as pd

    a = CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=0.0, tolerance=1.0, source="t")
    b = CalTarget(year=2022, kpi="ukp_days", municipality="Malvik", observed=0.0, tolerance=1.0, source="t")
    told = CalTarget(year=2022, kpi="korttid_occupancy", municipality="Total", observed=0.0, tolerance=1.0,
                     source="t", weight=0.0)
    table = pd.DataFrame({"plausible": [True, True, True, False],
                          f"fit:{a.label}": [0.5, 2.0, 0.0, 0.0], f"fit:{b.label}": [3.0, 5.0, 0.9, 0.0],
                          f"fit:{told.label}": [9.0, 9.0, 9.0, 9.0]})
    assert most_met(table, [a, b, told]) == (1, 2, 2)  # world 3 meets both; world 4 is not plausible
    table.loc[2, f"fit:{b.label}"] = 1.5
    assert most_met(table, [a, b, told]) == (0, 1, 2)


def test_the_ensemble_comes_in_maximin_order_from_the_best():
    """World 1 is the judged best; each next world is the one farthest from its nearest world
    before it, so any first n worlds spread out (the set is the balanced choice, reordered)."""
    hm = _lopsided_hm()
    pool = judge_pool(hm, 100)
    judged = 0.4 * hm.points[pool, 0] - 1.0
    table = _judged_table(hm, pool, judged, np.abs(judged) <= 3.0)
    rows = choose_judged(hm, pool, table, 6)
    assert sorted(rows.tolist()) == sorted(hm.balance.chosen.tolist()) and rows[0] == hm.balance.chosen[0]
    unit = _unit(hm, hm.points[pool])[rows]
    for n in range(1, len(rows) - 1):
        gaps = [np.linalg.norm(unit[:n] - u, axis=1).min() for u in unit[n:]]
        assert gaps[0] == max(gaps)


def test_spread_order_on_a_line():
    unit = np.array([[0.5], [0.4], [1.0], [0.0], [0.75]])
    assert spread_order(unit).tolist() == [0, 2, 3, 4, 1]

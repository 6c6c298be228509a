"""Results over plausible worlds: intervals that carry the parameters' uncertainty, sign stability."""
import numpy as np
import pandas as pd
import pytest

from ukp_sim.analysis.over_worlds import over_worlds, paired_differences_over_worlds, summarise_over_worlds
from ukp_sim.analysis.runner import summarise


def _table(values_by_world: dict[int, np.ndarray], kpi: str = "ukp_days") -> pd.DataFrame:
    rows = [{"world": w, "replication": r, "year": 2025, "month": 0, "municipality": "Total", "kpi": kpi,
             "value": float(v)} for w, vs in values_by_world.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows)


RNG = np.random.default_rng(11)
NOISE = RNG.normal(0.0, 5.0, 20)  # replication r's noise, the same in every world (common random numbers)


def test_one_world_is_the_single_world_summary_exactly():
    t = pd.concat([_table({1: 2000 + 100 * NOISE}), _table({1: 0.7 + 0.01 * NOISE}, "zero_day_share")])
    single = summarise(t.drop(columns="world"), "x")
    over = summarise_over_worlds(t.drop(columns="world"), "x")
    pd.testing.assert_frame_equal(over[single.columns], single)
    assert (over["worlds"] == 1).all() and (over["var_share_parameters"] == 0).all()
    v = t[t["kpi"] == "ukp_days"]["value"]
    row = over[over["kpi"] == "ukp_days"].iloc[0]
    assert (row["pi_low"], row["pi_high"]) == tuple(np.percentile(v, [2.5, 97.5]))
    assert row["p_target_met"] == pytest.approx(np.mean(v <= 1767))  # KPI 1's target: at most 1,767
    # the one-world interval of over_worlds itself is runner.mean_ci's t-interval
    _, mean, lo, hi, _, _ = over_worlds(t[t["kpi"] == "ukp_days"])
    assert (lo, hi) == pytest.approx((row["ci_low"], row["ci_high"]), rel=1e-12)


def test_worlds_that_differ_widen_the_intervals_and_identical_ones_do_not():
    one = summarise_over_worlds(_table({1: 100 + NOISE}), "x").iloc[0]
    same = summarise_over_worlds(_table({1: 100 + NOISE, 2: 100 + NOISE}), "x").iloc[0]
    # a second world identical to the first adds no information and no uncertainty
    assert (same["ci_low"], same["ci_high"]) == pytest.approx((one["ci_low"], one["ci_high"]))
    assert same["var_share_parameters"] == 0.0 and same["worlds"] == 2
    apart = summarise_over_worlds(_table({1: 100 + NOISE, 2: 200 + NOISE}), "x").iloc[0]
    assert apart["mean"] == pytest.approx(150 + NOISE.mean())
    assert apart["ci_high"] - apart["ci_low"] > 10 * (one["ci_high"] - one["ci_low"])
    assert apart["ci_low"] < 100 + NOISE.mean() and apart["ci_high"] > 200 + NOISE.mean()  # t with 1 dof
    assert apart["pi_low"] < 100 and apart["pi_high"] > 200
    # between-world variance 100^2/2 = 5,000 against the noise's 25: a share of about 0.995
    assert apart["var_share_parameters"] == pytest.approx(5000 / (5000 + NOISE.var(ddof=1)), abs=0.003)


def test_a_scenario_against_itself_differs_by_exactly_zero_in_every_world():
    t = _table({1: 100 + NOISE, 2: 300 + 3 * NOISE, 3: 50 + NOISE})
    d = paired_differences_over_worlds(t, t).iloc[0]
    assert d["mean_difference"] == d["ci_low"] == d["ci_high"] == d["pi_low"] == d["pi_high"] == 0.0
    assert d["share_worlds_better"] == d["share_worlds_worse"] == 0.0 and d["worlds"] == 3 and d["n"] == 60


def test_sign_stability_counts_the_worlds_whose_interval_lies_on_each_side():
    base = _table({1: 1000 + NOISE, 2: 1000 + NOISE, 3: 1000 + NOISE, 4: 1000 + NOISE})
    wobble = RNG.normal(0.0, 5.0, 20)
    other = _table({1: 1000 + NOISE - 10 + 0.5 * wobble,  # fewer UKP-days: better
                    2: 1000 + NOISE - 20 + 0.5 * wobble,  # better
                    3: 1000 + NOISE + 10 + 0.5 * wobble,  # worse
                    4: 1000 + NOISE + wobble - wobble.mean()})  # neither: its CI straddles 0
    d = paired_differences_over_worlds(base, other).iloc[0]
    assert d["share_worlds_better"] == 0.5 and d["share_worlds_worse"] == 0.25
    assert d["pi_low"] < -15 and d["pi_high"] > 8  # one year's difference may fall on either side
    assert d["mean_difference"] == pytest.approx(-5 + 0.375 * wobble.mean())  # the mean of the worlds' means
    # for a KPI where higher is better (KPI 2, the 0-day share) the same differences swap sides
    d2 = paired_differences_over_worlds(base.assign(kpi="zero_day_share"), other.assign(kpi="zero_day_share")).iloc[0]
    assert d2["share_worlds_better"] == 0.25 and d2["share_worlds_worse"] == 0.5


def test_one_world_runs_the_scenario_itself_and_every_world_shares_the_random_numbers(tmp_path, calibrated_year):
    """World 1 of a study over worlds is the single-world study to the last digit; in the other
    worlds the same replication draws the same random numbers (so a change of world is all that
    differs), and each scenario's table carries its world."""
    from ukp_sim.analysis.over_worlds import run_over_worlds, world_scenarios
    from ukp_sim.analysis.runner import run_many
    from ukp_sim.analysis.worlds import WorldMaker, load_worlds
    from ukp_sim.config.loader import load_scenario

    base = tmp_path / "baseline_2023.toml"
    team = tmp_path / "team.toml"
    team.write_text('extends = "baseline_2023.toml"\nname = "team"\n[hospital]\nsomatic_beds = 90\n', encoding="utf-8")
    files = {"baseline": base, "team": team}
    maker = WorldMaker(load_worlds(calibrated_year, 2023))
    scen = world_scenarios(maker, files)
    assert scen["team", 1].content_hash == load_scenario(team).content_hash
    assert scen["team", 2].municipalities["Testby"].korttid.units["korttid"].beds == 30
    over = run_over_worlds(scen, 2, seed=5)
    alone = run_many({"team": load_scenario(team)}, range(2), seed=5)["team"].table
    w1 = over["team"].table
    pd.testing.assert_frame_equal(w1[w1["world"] == 1].drop(columns="world").reset_index(drop=True), alone)
    assert sorted(w1["world"].unique()) == [1, 2, 3] and over["team"].completed == [0, 1]
    # the random numbers do not depend on the world: two worlds that agree give the same runs
    twin = run_over_worlds({("team", 1): scen["team", 1], ("team", 7): scen["team", 1]}, 2, seed=5)["team"].table
    pd.testing.assert_frame_equal(twin[twin["world"] == 7].drop(columns="world").reset_index(drop=True), alone)


def test_the_parameters_share_is_not_hidden_by_the_noise_the_worlds_share():
    """Thirty worlds with small offsets (variance 4) and one replication noise shared by every
    world (SD 10, 30 replications), no interaction: the two-way layout recovers the offsets'
    variance exactly, where a one-way layout would subtract the shared noise (4 - 100/30 < 1)."""
    rng = np.random.default_rng(3)
    offsets = rng.normal(0.0, 2.0, 30)
    noise = rng.normal(0.0, 10.0, 30)
    t = _table({w + 1: 500 + offsets[w] + noise for w in range(30)})
    row = summarise_over_worlds(t, "x").iloc[0]
    truth = offsets.var(ddof=1) / (offsets.var(ddof=1) + noise.var(ddof=1))
    assert row["var_share_parameters"] == pytest.approx(truth, rel=1e-9)


def test_worlds_with_missing_replications_weigh_equally_and_one_replication_has_no_interval():
    """World 2 lost 15 of its 20 replications: the mean is still the mean of the two worlds'
    means (status and attainment follow it), not the pooled mean that world 1 would dominate."""
    v2 = 200 + NOISE.copy()
    v2[5:] = np.nan
    t = _table({1: 100 + NOISE, 2: v2})
    row = summarise_over_worlds(t, "x").iloc[0]
    centre = ((100 + NOISE).mean() + (200 + NOISE[:5]).mean()) / 2
    assert row["mean"] == pytest.approx(centre) and row["ci_low"] < centre < row["ci_high"]
    assert row["attainment"] == pytest.approx((8700 - centre) / (8700 - 1767))
    one = summarise_over_worlds(_table({1: [100.0], 2: [140.0]}), "x").iloc[0]
    assert one["mean"] == 120.0 and np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])


def test_worlds_counts_the_worlds_run_and_n_the_runs_with_a_value():
    """A KPI without a value in one world (no delayed stay in a small municipality, a closed unit)
    still reports the worlds the scenario ran in; ``n`` says how many runs gave a value, and the
    mean is over the worlds that have one."""
    t = _table({1: 100 + NOISE, 2: np.full(NOISE.size, np.nan), 3: 300 + NOISE})
    row = summarise_over_worlds(t, "x").iloc[0]
    assert row["worlds"] == 3 and row["n"] == 2 * NOISE.size
    assert row["mean"] == pytest.approx(((100 + NOISE).mean() + (300 + NOISE).mean()) / 2)
    none = summarise_over_worlds(_table({1: [np.nan, np.nan], 2: [np.nan, np.nan]}), "x").iloc[0]
    assert none["worlds"] == 2 and none["n"] == 0 and np.isnan(none["mean"])

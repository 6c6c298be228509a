"""Findings over plausible worlds and per municipality, from the differences table."""
import pandas as pd

from ukp_sim.report.world_findings import municipal_harms, robustness


def _row(sid, muni, mean, lo, hi, better=None, worse=None, worlds=1, pi=(None, None), base=1000.0):
    r = {"scenario": sid, "year": 2025, "municipality": muni, "kpi": "ukp_days", "mean_difference": mean,
         "ci_low": lo, "ci_high": hi, "base_mean": base}
    if better is not None:
        r.update({"worlds": worlds, "share_worlds_better": better, "share_worlds_worse": worse,
                  "pi_low": pi[0], "pi_high": pi[1]})
    return r


def test_robust_and_world_dependent_effects_are_told_apart_and_the_deciding_parameter_named():
    diffs = pd.DataFrame([
        _row("early_assessment", "Total", -900, -1000, -800, 0.97, 0.0, 30, (-1500, -300)),
        _row("discharge_team", "Total", -100, -400, 200, 0.4, 0.3, 30, (-900, 700)),
        _row("escalation_plan", "Total", 50, 20, 80, 0.0, 0.93, 30, (-10, 120)),
    ])
    sens = pd.DataFrame({"output": ["discharge_team_ukp_days_saved_2025"] * 2,
                         "parameter": ["melhus_korttid_beds", "trondheim_decision_hours"],
                         "total_order": [0.62, 0.2], "ci_low": [0.3, 0.0]})
    lines = robustness(diffs, sens, ["baseline", "early_assessment", "discharge_team", "escalation_plan"], 2025,
                       "en")
    assert len(lines) == 3
    assert "saves UKP-days in 2025 in 97\u00a0% of the 30 plausible worlds (a robust finding)" in lines[0]
    assert "300 to 1,500" in lines[0].replace("–", " to ")  # the saving's interval: minus the difference's
    assert "is not the same in every plausible world" in lines[1] and "`melhus_korttid_beds`" in lines[1]
    assert "62\u00a0%" in lines[1] and "40\u00a0%" in lines[1] and "30\u00a0%" in lines[1]
    assert "adds UKP-days in 2025 in 93\u00a0%" in lines[2]
    nb = robustness(diffs, sens, ["discharge_team"], 2025, "nb")
    assert "er ikke den samme i alle plausible verdener" in nb[0]
    # one world: no robustness claims at all (the differences carry no world shares)
    assert robustness(diffs[["scenario", "year", "municipality", "kpi", "mean_difference", "ci_low", "ci_high"]],
                      None, ["discharge_team"], 2025, "en") == []


def test_a_measure_that_raises_a_municipalitys_ukp_days_is_named():
    one_world = pd.DataFrame([
        _row("discharge_team", "Total", 14, -227, 255),
        _row("discharge_team", "Melhus", 254, 120, 388),  # worse: CI above 0
        _row("discharge_team", "Trondheim", -135, -180, -90),
        _row("bed_sharing", "Melhus", 10, -5, 25),  # CI spans 0: not named
        _row("escalation_plan", "Melhus", 20, 5, 35),  # CI above 0 but 2 % of 1,000: chance, not named
    ])
    lines = municipal_harms(one_world, ["baseline", "discharge_team", "bed_sharing", "escalation_plan"], 2025, "en")
    assert lines == ["Enhanced discharge team raises the UKP-days in 2025 of Melhus (by 254 (120–388))."]
    assert "Trondheim" not in lines[0]
    over = pd.DataFrame([
        _row("discharge_team", "Melhus", 254, 100, 400, 0.05, 0.7, 30),  # named: better < 10 %, worse > 50 %
        _row("discharge_team", "Malvik", 30, -10, 70, 0.15, 0.6, 30),  # better in 15 %: not named
    ])
    lines = municipal_harms(over, ["discharge_team"], 2025, "en")
    assert len(lines) == 1 and "Melhus" in lines[0] and "Malvik" not in lines[0]


def test_a_parameter_whose_interval_reaches_the_floor_is_not_named_as_deciding():
    diffs = pd.DataFrame([_row("discharge_team", "Total", -100, -400, 200, 0.4, 0.3, 30, (-900, 700))])
    sens = pd.DataFrame({"output": ["discharge_team_ukp_days_saved_2025"], "parameter": ["melhus_korttid_beds"],
                         "total_order": [0.5], "ci_low": [0.05]})
    line = robustness(diffs, sens, ["discharge_team"], 2025, "en")[0]
    assert "melhus_korttid_beds" not in line and "cannot say which parameter" in line


def test_an_effect_on_one_side_in_nearly_every_run_but_undecided_per_world_asks_for_more_replications():
    """With 2 replications per world a world's own CI rarely excludes 0; when 95 % of the runs over
    the worlds still fall on one side, the worlds do not disagree: the finding says so and asks
    for more replications instead of calling the effect world-dependent."""
    rows = [_row("early_assessment", "Total", -1099, -1531, -668, 0.4, 0.0, 30, (-1869, -502)),
            _row("bed_sharing", "Total", 300, 100, 500, 0.0, 0.2, 30, (50, 800)),
            _row("discharge_team", "Total", -1059, -2971, 854, 0.1, 0.0, 30, (-3336, 28))]
    diffs = pd.DataFrame(rows).assign(n=60)
    lines = robustness(diffs, None, ["early_assessment", "bed_sharing", "discharge_team"], 2025, "en")
    assert "95 % of the runs over the 30 plausible worlds save UKP-days in 2025" in lines[0].replace("\u00a0", " ")
    assert "with 2 replications per world only 40\u00a0% of the worlds' own 95 % CIs exclude 0" in lines[0]
    assert "add UKP-days in 2025" in lines[1] and "only 20\u00a0%" in lines[1]
    assert "is not the same in every plausible world" in lines[2]  # its interval spans 0: that is the rule
    assert all("The worlds cannot say which parameter decides it" in line for line in lines)  # no sensitivity

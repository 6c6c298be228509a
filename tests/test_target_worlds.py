"""What would it take, over plausible worlds (``ukp-sim target --worlds``): one search per world, and
the smallest value that meets the target in a stated share of the worlds."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from ukp_sim.analysis.lever_worlds import answer_over_worlds
from ukp_sim.cli.main import main

INF = math.inf


@pytest.mark.parametrize("answers, share, value, met", [
    ([2, 5, INF], 0.9, INF, 2 / 3),     # 90 % of 3 worlds is all 3: one is out of reach (two reach it at the top)
    ([INF, INF], 0.5, INF, 0.0),
    ([2, 5, INF], 0.6, 5, 2 / 3),       # two of three
    ([2, 5, INF], 1 / 3, 2, 1 / 3),     # one of three
    ([4, 1, 3, 2], 0.5, 2, 0.5),        # order does not matter
    ([4, 1, 3, 2], 1.0, 4, 1.0),
    ([7, 7, 7], 0.9, 7, 1.0),
])
def test_the_answer_over_worlds_is_the_share_quantile_of_the_per_world_answers(answers, share, value, met):
    a = answer_over_worlds(list(range(1, len(answers) + 1)), answers, share)
    assert a.value == value and a.met_share == pytest.approx(met)
    assert a.unreachable == sum(math.isinf(x) for x in answers)
    lo, mid, hi = a.quantiles()
    assert lo == min(answers) and hi == max(answers)


def _target(calibrated_year, out, *extra) -> int:
    folder = calibrated_year.parent
    return main(["target", str(folder / "baseline_2023.toml"), "--lever", "korttid_beds", "--municipality", "Testby",
                 "--kpi", "ukp_days", "--kpi-for", "Total", "--target-value", "150", "--max", "16",
                 "--replications", "3", "--seed", "5", "--calibration", str(calibrated_year), "--out", str(out),
                 "--quiet", *extra])


def test_world_one_gives_the_search_without_worlds(tmp_path, calibrated_year):
    assert _target(calibrated_year, tmp_path / "alone") == 0
    assert _target(calibrated_year, tmp_path / "w1", "--world", "1") == 0
    alone = pd.read_csv(tmp_path / "alone" / "search.csv")
    w1 = pd.read_csv(tmp_path / "w1" / "search.csv")
    assert set(w1["world"]) == {1}
    pd.testing.assert_frame_equal(w1.drop(columns="world"), alone)
    meta = json.loads((tmp_path / "alone" / "run.json").read_text(encoding="utf-8"))
    ans = pd.read_csv(tmp_path / "w1" / "answers.csv")
    assert meta["status"] != "not_reachable"  # the target is chosen so that world 1 reaches it
    assert ans["status"].iloc[0] == meta["status"] and ans["answer"].iloc[0] == meta["answer"]


def test_over_all_worlds_each_world_has_its_search_and_the_answer_follows_the_share_rule(tmp_path, calibrated_year,
                                                                                       capsys):
    out = tmp_path / "all"
    assert main(["target", str(calibrated_year.parent / "baseline_2023.toml"), "--lever", "korttid_beds",
                 "--municipality", "Testby", "--kpi", "ukp_days", "--kpi-for", "Total", "--target-value", "150",
                 "--max", "16", "--replications", "3", "--seed", "5", "--calibration", str(calibrated_year),
                 "--out", str(out), "--worlds", "0", "--world-share", "0.6", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    answers = pd.read_csv(out / "answers.csv")
    assert sorted(answers["world"]) == [1, 2, 3]
    search = pd.read_csv(out / "search.csv")
    assert set(search["world"]) == {1, 2, 3}
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    per_world = [INF if pd.isna(a) else float(a) for a in answers.sort_values("world")["answer"]]
    expected = answer_over_worlds([1, 2, 3], per_world, 0.6)
    got = meta["answer_over_worlds"]
    assert got["value"] == (None if math.isinf(expected.value) else expected.value)
    assert got["worlds_out_of_reach"] == expected.unreachable
    assert meta["world_share"] == 0.6 and meta["worlds"] == [1, 2, 3] and meta["world_share_rule"]
    # Each world's answer is the smallest value met in its own search path.
    for world, a in zip([1, 2, 3], per_world):
        path = search[(search["world"] == world) & (search["role"] == "search")]
        met = path.loc[path["met"], "value"]
        assert (a == INF and met.empty) or a == met.min()
    first, second = printed.splitlines()[:2]
    assert first.startswith("Over 3 plausible worlds:")
    assert got["value"] is not None  # 60 % of the three worlds reach the target within 16 beds
    assert f"it takes {got['value']:g} extra korttidsplasser in Testby" in first
    # The sentence that the worlds disagree appears exactly when their answers differ.
    assert ("need different doses" in second) == (len(set(per_world)) > 1)


def test_target_over_worlds_refuses_a_scenario_without_a_calibration(tmp_path, write_scenario, capsys):
    path = write_scenario("")
    code = main(["target", str(path), "--lever", "korttid_beds", "--worlds", "2", "--out", str(tmp_path / "x"),
                 "--quiet"])
    assert code != 0
    assert "is not a calibrated baseline" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()

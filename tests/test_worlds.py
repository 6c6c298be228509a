"""Scenarios put into the plausible worlds of a calibrated year's ensemble."""
from pathlib import Path

import pytest

from ukp_sim.analysis.worlds import WorldMaker, load_worlds
from ukp_sim.base.errors import UserError
from ukp_sim.config.loader import build_scenario, load_scenario_data

SMALL = Path(__file__).parent / "scenarios" / "one_municipality.toml"


def _what_if(tmp_path: Path, name: str, body: str) -> Path:
    f = tmp_path / name
    f.write_text(f'extends = "baseline_2023.toml"\nname = "{name[:-5]}"\n{body}', encoding="utf-8")
    return f


def test_world_one_is_the_baseline_and_other_worlds_change_only_what_the_scenario_inherits(tmp_path, calibrated_year):
    worlds = load_worlds(calibrated_year, 2023)
    assert worlds.ids == (1, 2, 3) and len(worlds) == 3  # sorted by world number
    maker = WorldMaker(worlds)
    team = _what_if(tmp_path, "team.toml", "[hospital]\nsomatic_beds = 90\n")
    beds = _what_if(tmp_path, "beds.toml", "[municipalities.Testby.korttid.units.korttid]\nbeds = 40\n")

    # world 1: exactly the scenario as written (same data, so the same content hash and numbers)
    for f in (team, beds, tmp_path / "baseline_2023.toml"):
        assert maker.scenario_data(f, 0)[0] == load_scenario_data(f)[0]
        assert build_scenario(maker.scenario_data(f, 0)[0], f).content_hash == build_scenario(
            load_scenario_data(f)[0], f).content_hash

    w2 = maker.scenario_data(team, 1)[0]
    testby = w2["municipalities"]["Testby"]
    assert testby["korttid"]["units"]["korttid"]["beds"] == 30  # world 2's beds
    assert testby["home_service_intake_per_day"] == 0.50000001  # 1.0 x 0.50000001, every digit, as the baseline is written
    assert w2["hospital"]["somatic_beds"] == 90  # the what-if's own change stays
    # a what-if that sets a calibrated value itself keeps it in every world
    assert maker.scenario_data(beds, 2)[0]["municipalities"]["Testby"]["korttid"]["units"]["korttid"]["beds"] == 40
    assert maker.scenario_data(beds, 2)[0]["municipalities"]["Testby"]["home_service_intake_per_day"] == 2.123456789


def test_choosing_worlds_and_the_errors_that_name_the_fix(tmp_path, calibrated_year):
    targets = calibrated_year
    assert load_worlds(targets, 2023, first=2).ids == (1, 2)
    assert load_worlds(targets, 2023, only=3).points.tolist() == [[14.0, 2.123456789]]
    with pytest.raises(UserError, match="no world 7"):
        load_worlds(targets, 2023, only=7)
    with pytest.raises(UserError, match="no \\[years.2022\\] table"):
        load_worlds(targets, 2022)
    alone = tmp_path / "alone.toml"
    alone.write_text(f'extends = "{SMALL}"\nname = "alone"\n', encoding="utf-8")
    with pytest.raises(UserError, match="does not extend baseline_2023.toml"):
        WorldMaker(load_worlds(targets, 2023)).scenario_data(alone, 1)
    (tmp_path / "ensemble_2023.csv").write_text("world,beds\n1,22\n", encoding="utf-8")
    with pytest.raises(UserError, match="lacks the column\\(s\\) intake.*make calibrate"):
        load_worlds(targets, 2023)
    (tmp_path / "ensemble_2023.csv").unlink()
    with pytest.raises(UserError, match="no ensemble of plausible worlds for 2023"):
        load_worlds(targets, 2023)


def test_only_plausible_worlds_run_and_a_stale_ensemble_is_refused(tmp_path, calibrated_year):
    """A world the calibration could not keep plausible with its replications is left out (world
    1, the baseline, stays), and an ensemble whose world 1 is not the baseline (another
    calibration's) is refused rather than run in the wrong worlds."""
    ens = calibrated_year.parent / "ensemble_2023.csv"
    ens.write_text("world,plausible,beds,intake\n1,False,22,1.5\n2,True,30,0.5\n3,False,14,2.0\n4,True,18,1\n",
                   encoding="utf-8")
    worlds = load_worlds(calibrated_year, 2023)
    assert worlds.ids == (1, 2, 4) and worlds.left_out == (3,)
    with pytest.raises(UserError, match="no world 3 to run \\(it is not plausible"):
        load_worlds(calibrated_year, 2023, only=3)
    ens.write_text("world,beds,intake\n1,23,1.5\n2,30,0.5\n", encoding="utf-8")
    with pytest.raises(UserError, match="world 1 does not match baseline_2023.toml at municipalities.Testby.korttid"):
        WorldMaker(load_worlds(calibrated_year, 2023))

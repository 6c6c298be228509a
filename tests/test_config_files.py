"""All four file kinds go through one validator: unknown keys, types, ranges and nan/inf give a
one-line `file: key.path: problem (fix: ...)`; and the hints a new user needs."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ukp_sim.base.errors import ScenarioError
from ukp_sim.cli.main import main
from ukp_sim.config.calibration_file import load_calibration_spec
from ukp_sim.config.diff import validate_diff_lines
from ukp_sim.config.loader import load_scenario
from ukp_sim.config.study_file import load_study
from ukp_sim.config.targets import TARGETS_FILE, load_targets

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "scenarios" / "one_municipality.toml"


def _error(load, path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    return err.value


@pytest.mark.parametrize("old, new, where, words", [
    ("yellow_relative = 0.05", "yellow_relative = nan", "status.yellow_relative", "finite"),
    ('scope = "community"', 'scop = "community"', "kpi.ukp_days.scop", "did you mean 'scope'"),
    ('direction = "<="', 'direction = "=<"', "kpi.ukp_days.direction", "not allowed"),
    ("number = 1\n", 'number = "one"\n', "kpi.ukp_days.number", "whole number"),
    ('scope = "community"', 'scope = "unit:"', "kpi.ukp_days.scope", "not a scope"),
])
def test_the_kpi_targets_file_is_validated(tmp_path, old, new, where, words):
    f = tmp_path / "targets.toml"
    f.write_text(TARGETS_FILE.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    err = _error(load_targets, f)
    assert err.where == where and words in str(err), str(err)


@pytest.mark.parametrize("old, new, where", [
    ("years = 4", "years = nan", "period.years"),
    ("warmup_days = 730", "warmup_dayz = 730", "period.warmup_dayz"),
    ("seed = 2024", "seed = inf", "seed"),
    (None, "[precision]\nshare = nan\n", "precision.share"),
    (None, "[precision]\nmin = 20\nmax = 10\n", "precision.max"),
])
def test_the_study_file_is_validated(tmp_path, old, new, where):
    f = tmp_path / "study.toml"
    text = (ROOT / "experiments" / "standard_study.toml").read_text(encoding="utf-8").replace("../", f"{ROOT}/")
    f.write_text(text + new if old is None else text.replace(old, new, 1), encoding="utf-8")
    assert _error(load_study, f).where == where


def test_the_calibration_file_refuses_nan(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text((ROOT / "calibration" / "targets.toml").read_text(encoding="utf-8")
                 .replace("observed = ", "observed = nan #", 1), encoding="utf-8")
    err = _error(load_calibration_spec, f)
    assert err.where == "target[0].observed" and "finite" in str(err)


def _whatif(tmp_path: Path, body: str) -> Path:
    shutil.copytree(ROOT / "scenarios", tmp_path / "s")
    f = tmp_path / "s" / "w.toml"
    f.write_text(f'extends = "baseline_2023.toml"\nname = "w"\n{body}', encoding="utf-8")
    return f


@pytest.mark.parametrize("body, where, words", [
    ("[interventions.discharge_team]\nenabled = true\ncoverage = 0,5\n",
     "interventions.discharge_team.coverage", "decimal comma: write 0.5"),
    ("[interventions.discharge_team]\nenabled = true\nstart = 2024-13-01\n",
     "interventions.discharge_team.start", "month 13"),
    ("[interventions.discharge_team]\nstart = 2023-02-29\n", "interventions.discharge_team.start", "February 2023"),
    ("[municipalities.melhus.korttid.units.korttid]\nbeds = 40\n", "municipalities.melhus", "did you mean 'Melhus'"),
    ("[municipalities.Trondhjem]\npopulation = 10\n", "municipalities.Trondhjem", "did you mean 'Trondheim'"),
    ("[interventions.discharge_team]\nenabled = true\nstart = 2031-01-01\n",
     "interventions.discharge_team.start", "2031-01-01 is after the period ends (2023-01-01 to 2023-12-31)"),
])
def test_hints_for_a_new_users_mistakes(tmp_path, capsys, body, where, words):
    f = _whatif(tmp_path, body)
    err = _error(load_scenario, f)
    assert err.where == where and words in str(err), str(err)
    assert main(["validate", str(f)]) == 2 and words in capsys.readouterr().err


def test_a_late_intervention_that_is_off_and_a_new_full_municipality_stay_valid(tmp_path):
    f = _whatif(tmp_path, "[interventions.discharge_team]\nstart = 2031-01-01\n"
                "[municipalities.Nyby]\npopulation = 1000\nhome_service_intake_per_day = 0.5\n"
                "long_term_vacancies_per_year = 5\n[municipalities.Nyby.korttid.units.korttid]\nbeds = 3\n")
    assert "Nyby" in load_scenario(f).municipalities


def test_validate_prints_what_a_whatif_changes(tmp_path, capsys):
    beds = load_scenario(ROOT / "scenarios" / "baseline_2023.toml").municipalities["Melhus"].korttid.units["korttid"].beds
    f = _whatif(tmp_path, "[interventions.discharge_team]\nenabled = true\nstart = 2023-06-01\ncapacity = 30\n"
                f"[municipalities.Melhus.korttid.units.korttid]\nbeds = {beds + 8}\n")
    lines = validate_diff_lines(f)
    assert lines[0] == "changes against baseline_2023.toml (4 values):"
    assert lines[1:] == [f"  municipalities.Melhus.korttid.units.korttid.beds: {beds} → {beds + 8}",
                         "  interventions.discharge_team.enabled: false → true",
                         "  interventions.discharge_team.start: 2024-09-01 → 2023-06-01",
                         "  interventions.discharge_team.capacity: 20 → 30"]
    assert main(["validate", str(f)]) == 0
    assert "interventions.discharge_team.capacity: 20 → 30" in capsys.readouterr().out
    assert validate_diff_lines(ROOT / "scenarios" / "prior" / "baseline_prior.toml") == []


def test_every_shipped_file_still_loads():
    for f in [*ROOT.glob("scenarios/**/*.toml"), *ROOT.glob("tests/scenarios/*.toml")]:
        load_scenario(f)
    load_targets(TARGETS_FILE)
    load_calibration_spec(ROOT / "calibration" / "targets.toml")

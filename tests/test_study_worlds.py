"""The study over plausible worlds (``ukp-sim study --worlds``)."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd

from ukp_sim.analysis.study import DIFF_COLUMNS, KPI_COLUMNS, SAVING_COLUMNS
from ukp_sim.cli.study import main


def _study(folder: Path, calibration: bool = True, combined: bool = False) -> Path:
    """A study of the miniature calibrated year (conftest's ``calibrated_year``): its baseline
    against a discharge team, 2022-2023."""
    (folder / "team.toml").write_text(
        'extends = "baseline_2023.toml"\nname = "team"\n[interventions.discharge_team]\nenabled = true\n'
        "start = 2023-01-01\ncapacity = 15\n", encoding="utf-8")
    study = folder / "study.toml"
    study.write_text(
        'name = "worlds_study"\nseed = 7\nreplications = 3\nbaseline = "baseline_2023.toml"\n'
        + ('calibration = "targets.toml"\n' if calibration else "")
        + "[period]\nstart = 2022-01-01\nyears = 2\nwarmup_days = 60\nfollowup_days = 30\n"
        '[scenarios]\ndischarge_team = "team.toml"\n' + ('combined = "team.toml"\n' if combined else ""),
        encoding="utf-8")
    return study


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name)


def test_the_study_over_all_worlds_writes_the_world_columns(tmp_path, calibrated_year, capsys):
    study = _study(calibrated_year.parent)
    out = tmp_path / "over"
    assert main([str(study), "--worlds", "0", "--out", str(out), "--jobs", "1", "--lang", "en"]) == 0
    assert "replications in each of 3 worlds" in capsys.readouterr().out  # the console says what ran
    kpis = _read(out, "kpis.csv")
    assert {"worlds", "pi_low", "pi_high", "var_share_parameters", "p_target_met"} <= set(kpis.columns)
    total = kpis[(kpis["municipality"] == "Total") & (kpis["kpi"] == "ukp_days")]
    assert (total["worlds"] == 3).all() and (total["pi_low"] <= total["pi_high"]).all()
    # three worlds with 14, 22 and 30 beds differ: the parameters explain part of the variance
    assert (total["var_share_parameters"] > 0).all()
    diffs = _read(out, "differences.csv")
    assert {"share_worlds_better", "share_worlds_worse", "pi_low", "pi_high", "worlds"} <= set(diffs.columns)
    assert set(_read(out, "savings.csv").columns) >= {*SAVING_COLUMNS, "worlds", "pi_low", "pi_high"}
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["worlds"] == [1, 2, 3] and meta["worlds_file"].endswith("ensemble_2023.csv")
    assert len(meta["worlds_file_sha256"]) == 64
    # each world's inputs are recorded: calibrated parameters, then the team's drawn effects
    inputs = _read(out, "worlds.csv")
    assert list(inputs["world"]) == [1, 2, 3] and {"beds", "intake", "discharge_team.coverage"} <= set(inputs.columns)
    assert inputs.loc[0, "discharge_team.readmission_risk_ratio"] == 0.85  # world 1: the documented default
    assert meta["intervention_effects"]["drawn"] and meta["intervention_effects"]["seed"] == 7
    assert meta["world_inputs"]["2"]["discharge_team.coverage"] == inputs.loc[1, "discharge_team.coverage"]
    reps = pd.read_csv(io.BytesIO(gzip.decompress((out / "replications.csv.gz").read_bytes())))
    assert set(reps["world"]) == {1, 2, 3} and set(reps["replication"]) == {0, 1, 2}
    assert not (out / "sensitivity.csv").exists()  # three worlds cannot carry an emulator
    assert (out / "figures" / "effect_over_worlds.en.svg").is_file()
    assert (out / "figures" / "p_target_met.en.svg").is_file()
    assert not (out / "figures" / "sensitivity_ranking.en.png").exists()
    # The report's KPI tables give the prediction interval and P(target met) from kpis.csv.
    from ukp_sim.report.study_values import ci_text, pct

    report = (out / "report.en.md").read_text(encoding="utf-8")
    assert "P(target met) 2023" in report and "prediction interval of one year" in report
    r = total[(total["scenario"] == "discharge_team") & (total["year"] == 2023)].iloc[0]
    assert ci_text(r["mean"], r["pi_low"], r["pi_high"], "days", "en") in report
    assert f"| {pct(r['p_target_met'], 'en')} |" in report
    # Net cost over worlds: prediction intervals, and said so.
    assert "Net cost and who pays" in report and "prediction interval over the plausible worlds" in report


def test_world_one_alone_is_the_study_without_worlds(tmp_path, calibrated_year):
    study = _study(calibrated_year.parent)
    plain, one = tmp_path / "plain", tmp_path / "one"
    assert main([str(study), "--out", str(plain), "--jobs", "1", "--quiet", "--lang", "en"]) == 0
    assert main([str(study), "--world", "1", "--out", str(one), "--jobs", "1", "--quiet", "--lang", "en"]) == 0
    for name, cols in (("kpis.csv", KPI_COLUMNS), ("differences.csv", DIFF_COLUMNS), ("savings.csv", SAVING_COLUMNS)):
        pd.testing.assert_frame_equal(_read(one, name)[cols], _read(plain, name)[cols], check_exact=True)
    assert (_read(one, "kpis.csv")["var_share_parameters"].fillna(0) == 0).all()


def test_fixed_interventions_keep_the_effects_at_their_defaults_and_leave_the_baseline_alone(tmp_path,
                                                                                              calibrated_year):
    """The effects' draws reach only the scenarios that switch a measure on: the baseline's numbers
    are the same with and without them, the team's saving in worlds 2 and 3 is not."""
    study = _study(calibrated_year.parent)
    drawn, fixed = tmp_path / "drawn", tmp_path / "fixed"
    common = ["--worlds", "0", "-n", "2", "--jobs", "1", "--quiet", "--lang", "en"]
    assert main([str(study), *common, "--out", str(drawn)]) == 0
    assert main([str(study), *common, "--fixed-interventions", "--out", str(fixed)]) == 0
    reps = {k: pd.read_csv(io.BytesIO(gzip.decompress((d / "replications.csv.gz").read_bytes())))
            for k, d in (("drawn", drawn), ("fixed", fixed))}
    for scenario, same in (("baseline", True), ("discharge_team", False)):
        a, b = (reps[k][(reps[k]["scenario"] == scenario) & (reps[k]["world"] > 1)].reset_index(drop=True)
                for k in ("drawn", "fixed"))
        assert a["value"].equals(b["value"]) == same, scenario
    meta = json.loads((fixed / "run.json").read_text(encoding="utf-8"))["intervention_effects"]
    assert not meta["drawn"] and meta["seed"] is None
    assert (_read(fixed, "worlds.csv")["discharge_team.coverage"] == 1.0).all()


def test_worlds_without_a_calibration_or_with_both_options_are_clear_errors(tmp_path, calibrated_year, capsys):
    study = _study(calibrated_year.parent, calibration=False)
    out = tmp_path / "x"
    assert main([str(study), "--worlds", "2", "--out", str(out), "--quiet"]) == 2
    assert "names no calibration" in capsys.readouterr().err and not out.exists()
    assert main([str(_study(calibrated_year.parent)), "--worlds", "2", "--world", "1", "--out", str(out),
                 "--quiet"]) == 2
    assert "not both" in capsys.readouterr().err and not out.exists()


def test_an_interrupted_study_over_worlds_resumes_from_the_cache(tmp_path, calibrated_year, monkeypatch, capsys):
    """Ctrl-C in the fifth (scenario, world) of six: nothing complete in every world, so nothing is
    written; the rerun reads the 13 finished replications from the cache and simulates the rest."""
    from ukp_sim.analysis import runner as experiment

    real = experiment.single_run
    calls = {"n": 0}

    def flaky(scenario, seed, replication):
        calls["n"] += 1
        if calls["n"] == 14:
            raise KeyboardInterrupt
        return real(scenario, seed, replication)

    monkeypatch.setattr(experiment, "single_run", flaky)
    study, out = _study(calibrated_year.parent), tmp_path / "out"
    args = [str(study), "--worlds", "0", "--out", str(out), "--jobs", "1", "--lang", "en"]
    assert main([*args, "--quiet"]) == 130
    assert "nothing written" in capsys.readouterr().err and not out.exists()
    assert main(args) == 0
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["cache"]["read"] == 13 and meta["replications"] == 3 and calls["n"] == 14 + 18 - 13


def test_compare_over_worlds_and_its_world_one(tmp_path, calibrated_year, capsys):
    from ukp_sim.cli.main import main as cli

    folder = calibrated_year.parent
    (folder / "beds.toml").write_text('extends = "baseline_2023.toml"\nname = "beds"\n[hospital]\nsomatic_beds = 90\n',
                                      encoding="utf-8")
    common = [str(folder / "baseline_2023.toml"), str(folder / "beds.toml"), "-n", "2", "--jobs", "1",
              "--calibration", str(calibrated_year), "--quiet"]
    assert cli(["compare", *common, "--worlds", "0", "--out", str(tmp_path / "w")]) == 0
    kpis, diffs = _read(tmp_path / "w", "kpis.csv"), _read(tmp_path / "w", "differences.csv")
    assert (kpis["worlds"] == 3).all() and {"var_share_parameters", "p_target_met"} <= set(kpis.columns)
    assert {"share_worlds_better", "share_worlds_worse", "pi_low", "pi_high"} <= set(diffs.columns)
    assert json.loads((tmp_path / "w" / "run.json").read_text(encoding="utf-8"))["worlds"] == [1, 2, 3]
    assert cli(["compare", *common, "--world", "1", "--out", str(tmp_path / "one")]) == 0
    assert cli(["compare", *common, "--out", str(tmp_path / "plain")]) == 0
    for name in ("kpis.csv", "differences.csv"):
        plain = _read(tmp_path / "plain", name)
        pd.testing.assert_frame_equal(_read(tmp_path / "one", name)[plain.columns], plain, check_exact=True)
    # a baseline that is no calibrated year's has no worlds
    alone = tmp_path / "alone.toml"
    alone.write_text(f'extends = "{folder / "input.toml"}"\nname = "alone"\n', encoding="utf-8")
    assert cli(["compare", str(alone), str(folder / "beds.toml"), "-n", "2", "--calibration", str(calibrated_year),
                "--worlds", "0", "--quiet", "--out", str(tmp_path / "x")]) == 2
    assert "is not a calibrated baseline" in capsys.readouterr().err and not (tmp_path / "x").exists()
    no_n = [c for c in common if c not in ("-n", "2")]
    assert cli(["compare", *no_n, "--worlds", "0", "--precision", "0.1", "--out", str(tmp_path / "x")]) == 2
    assert "do not apply" in capsys.readouterr().err


def test_a_study_over_enough_worlds_ranks_what_explains_the_spread(tmp_path, calibrated_year):
    """Twelve worlds over beds (12-34) and home-service intake: sensitivity.csv ranks both inputs
    for the baseline's UKP-days in the last year (and each measure's and the combined strategy's saving), each index within
    [0, 1] with an interval around it; three worlds (the other tests) write no such table."""
    import numpy as np

    folder = calibrated_year.parent
    rng = np.random.default_rng(1)
    rows = [f"{w},{22 if w == 1 else int(rng.integers(12, 35))},{1.5 if w == 1 else rng.uniform(0.5, 3):.4f}"
            for w in range(1, 13)]
    (folder / "ensemble_2023.csv").write_text("world,beds,intake\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(_study(folder, combined=True)), "--worlds", "0", "-n", "2", "--out", str(out), "--jobs", "1",
                 "--quiet",
                 "--lang", "en"]) == 0
    sens = _read(out, "sensitivity.csv")
    assert set(sens["output"]) == {"baseline_ukp_days_2023", "discharge_team_ukp_days_saved_2023",
                                   "combined_ukp_days_saved_2023", "combined_ukp_days_saved_2023_2023"}
    # the baseline's answer is ranked on the calibrated parameters alone; a measure's saving also on
    # the draws of its own effects (and no other measure's)
    by = sens.groupby("output")["parameter"].apply(set)
    assert by["baseline_ukp_days_2023"] == {"beds", "intake"}
    team = {"discharge_team.coverage", "discharge_team.home_instead_of_korttid", "discharge_team.planning_time_factor",
            "discharge_team.readmission_risk_ratio"}
    assert by["discharge_team_ukp_days_saved_2023"] == {"beds", "intake"} | team
    assert team <= by["combined_ukp_days_saved_2023"] and "bed_sharing.offered_share" not in by[
        "discharge_team_ukp_days_saved_2023"]
    assert (sens["worlds"] == 12).all()
    assert sens["total_order"].between(0, 1).all() and (sens["ci_low"] <= sens["ci_high"]).all()
    assert sens["total_order"].max() > 0.3  # 12 to 34 korttid beds move the UKP-days of a small town
    report = (out / "report.en.md").read_text(encoding="utf-8")
    assert "of the 12 worlds" in report
    # with the team's effects fixed, the beds alone decide its saving, and the report names them
    # (drawn, four more inputs on 12 worlds leave the emulator unsure, and the report says so)
    assert main([str(_study(folder, combined=True)), "--worlds", "0", "-n", "2", "--out", str(tmp_path / "fixed"),
                 "--jobs", "1", "--quiet", "--lang", "en", "--fixed-interventions"]) == 0
    report = (tmp_path / "fixed" / "report.en.md").read_text(encoding="utf-8")
    # (the saving is on one side in nearly every run, or its sign differs between worlds: either way
    # the finding names what decides it)
    assert ("of the 12 worlds" in report or "over the 12 plausible worlds" in report) and "`beds`" in report
    for stem in ("effect_over_worlds", "sensitivity_ranking"):  # the worlds' figures, in the report too
        assert (out / "figures" / f"{stem}.en.png").is_file() and f"figures/{stem}.en.png" in report


def test_run_over_worlds_writes_the_world_columns(tmp_path, calibrated_year):
    from ukp_sim.cli.main import main as cli

    base = calibrated_year.parent / "baseline_2023.toml"
    out = tmp_path / "r"
    assert cli(["run", str(base), "-n", "2", "--worlds", "2", "--calibration", str(calibrated_year),
                "--out", str(out)]) == 0
    kpis = _read(out, "kpis.csv")
    assert (kpis["worlds"] == 2).all() and {"pi_low", "pi_high", "var_share_parameters"} <= set(kpis.columns)
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["worlds"] == [1, 2]
    assert set(_read(out, "replications.csv")["world"]) == {1, 2}


def test_the_report_names_the_calibration_targets_the_baseline_year_misses(calibrated_year):
    from ukp_sim.analysis.calibration_check import calibration_check
    from ukp_sim.kpi import DEFINITIONS
    from ukp_sim.report.study_report import calibration_line

    def kpis(value: float) -> pd.DataFrame:
        return pd.DataFrame({"scenario": ["baseline", "baseline", "team"], "year": [2023, 2023, 2023],
                             "municipality": ["Total", "Testby", "Total"], "kpi": ["ukp_days"] * 3,
                             "mean": [value, value, 1.0]})

    missed = calibration_check(kpis(120.0), calibrated_year, 2023)
    assert missed == [{"kpi": "ukp_days", "municipality": "Total", "year": 2023, "observed": 100.0, "tolerance": 5.0,
                       "simulated": 120.0, "met": False, "source": "synthetic"}]
    line = calibration_line(missed, DEFINITIONS, "en")
    assert "misses 1 of 1: UKP-days, Health community: 120 against 100 ± 5.0." in line
    met = calibration_check(kpis(104.0), calibrated_year, 2023)
    assert met[0]["met"] and "meets all 1 calibration targets of 2023" in calibration_line(met, DEFINITIONS, "en")
    assert calibration_check(kpis(120.0), calibrated_year, 2022) == []  # no target that year
    assert calibration_check(kpis(120.0), None, 2023) == [] and calibration_line([], DEFINITIONS, "en") is None

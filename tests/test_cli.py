"""The ``ukp-sim`` command line: ``run`` and ``validate``, their output files and their errors.

Most tests call ``ukp_sim.cli.main.main([...])`` in-process; one runs the installed console script in a
subprocess. Every run uses a small what-if in ``tmp_path`` that extends the real baseline by
absolute path with a 30-day warm-up, and 2 replications.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import ukp_sim
from ukp_sim.cli.main import main
from ukp_sim.kpi import DEFINITIONS, TOTAL
from ukp_sim.kpi.compute import flag_bits

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "prior" / "baseline_prior.toml"
OUTPUT_FILES = {"kpis.csv", "kpis_monthly.csv", "replications.csv", "run.json"}
KPIS_COLUMNS = ["scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target", "status",
                "attainment"]
REPS = 2
SEED = 11
VOLATILE = {"date", "wall_seconds", "cache"}  # run.json fields that may differ between identical runs (the
# second run reads its replications from the cache the first wrote: same numbers, other counts)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def whatif(folder: Path, body: str = "", name: str = "small.toml") -> Path:
    """A what-if extending the baseline (absolute path) with a 30-day warm-up."""
    path = folder / name
    path.write_text(
        f'extends = {toml_str(str(BASELINE))}\nname = "small_whatif"\n{body}\n[period]\nwarmup_days = 30\n',
        encoding="utf-8",
    )
    return path


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr captured (usable outside a function-scoped fixture)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def run_args(scenario: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(scenario), "--replications", str(REPS), "--seed", str(SEED), "--out", str(out),
            "--quiet", *extra]


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "ukp-sim"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ukp_sim.cli.main"]  # pragma: no cover


def assert_user_error(rc: int, out: str, err: str) -> str:
    """Exit 2, one line on stderr starting with 'error:', no traceback; returns the line."""
    assert rc == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got:\n{err}"
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> tuple[Path, Path, str, str]:
    """One quiet run of the small what-if: (scenario file, output folder, stdout, stderr)."""
    folder = tmp_path_factory.mktemp("cli_run")
    scenario = whatif(folder)
    out = folder / "out"
    rc, stdout, stderr = run_main(run_args(scenario, out))
    assert rc == 0, stderr
    return scenario, out, stdout, stderr


@pytest.fixture(scope="module")
def meta(run_dir) -> dict:
    return json.loads((run_dir[1] / "run.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# run: the output files
# --------------------------------------------------------------------------------------------
def test_run_writes_exactly_the_four_files(run_dir):
    _, out, _, _ = run_dir
    assert files_in(out) == OUTPUT_FILES  # no temporary files left behind either


def test_quiet_run_prints_nothing(run_dir):
    _, _, stdout, stderr = run_dir
    assert stdout == ""
    assert stderr == ""


def test_kpis_csv(run_dir):
    _, out, _, _ = run_dir
    df = pd.read_csv(out / "kpis.csv", keep_default_na=False, na_values=[""])
    assert list(df.columns) == KPIS_COLUMNS
    assert (df["scenario"] == "small_whatif").all()
    assert set(df["year"]) == {2022}
    assert not df.duplicated(["year", "municipality", "kpi"]).any()
    assert (df["n"] <= REPS).all()
    days = df[(df["municipality"] == TOTAL) & (df["kpi"] == "ukp_days")].iloc[0]
    assert days["n"] == REPS
    assert days["ci_low"] <= days["mean"] <= days["ci_high"]
    assert days["target"] == 1767 and days["status"] in {"green", "yellow", "red"}
    oya = df[(df["municipality"] == "Trondheim/Øya helsehus") & (df["kpi"] == "korttid_los")].iloc[0]
    assert oya["target"] == 20 and oya["status"] in {"green", "yellow", "red"}
    melhus = df[(df["municipality"] == "Melhus") & (df["kpi"] == "ukp_days")].iloc[0]
    assert pd.isna(melhus["target"]) and pd.isna(melhus["status"])


def test_kpis_monthly_csv(run_dir):
    _, out, _, _ = run_dir
    df = pd.read_csv(out / "kpis_monthly.csv")
    assert list(df.columns) == ["scenario", "year", "month", *KPIS_COLUMNS[2:]]
    assert set(df["month"]) == set(range(1, 13))
    yearly = pd.read_csv(out / "kpis.csv")
    n_keys_monthly = len(df[df["month"] == 1])
    whole_year_only = ["ukp_days_per_1000", "ukp_winter_ratio", "korttid_added_bed_days", *flag_bits()]
    assert n_keys_monthly == len(yearly[~yearly["kpi"].isin(whole_year_only)])
    assert set(yearly["kpi"]) - set(df["kpi"]) == set(whole_year_only)


def test_replications_csv_has_one_row_per_replication_year_municipality_kpi(run_dir):
    _, out, _, _ = run_dir
    reps = pd.read_csv(out / "replications.csv")
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(reps.columns) == ["scenario", "replication", "year", "municipality", "kpi", "value"]
    assert sorted(reps["replication"].unique()) == list(range(REPS))
    assert not reps.duplicated(["replication", "year", "municipality", "kpi"]).any()
    assert len(reps) == REPS * len(kpis)
    keys = ["year", "municipality", "kpi"]
    assert set(map(tuple, reps[keys].drop_duplicates().to_numpy())) == set(map(tuple, kpis[keys].to_numpy()))
    # the yearly means are the means over replications.csv
    mean = reps.groupby(keys)["value"].mean()
    merged = kpis.set_index(keys)["mean"]
    pd.testing.assert_series_equal(mean.sort_index(), merged.sort_index(), check_names=False)


def test_run_json_metadata(run_dir, meta):
    scenario, _, _, _ = run_dir
    assert meta["scenario"] == "small_whatif"
    assert meta["seed"] == SEED
    assert meta["replications_requested"] == REPS
    assert meta["replications_completed"] == REPS
    assert meta["interrupted"] is False
    assert meta["version"] == ukp_sim.__version__
    date = dt.datetime.fromisoformat(meta["date"])
    assert date.tzinfo is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - date).total_seconds()) < 3600
    assert Path(meta["scenario_file"]) == scenario
    files = {Path(f["path"]).resolve(): f["sha256"] for f in meta["scenario_files"]}
    sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert files == {BASELINE.resolve(): sha(BASELINE), scenario.resolve(): sha(scenario)}
    assert meta["scenario_hash"]


def test_run_json_kpi_definitions(meta):
    defs = meta["kpi_definitions"]
    assert set(defs) == set(DEFINITIONS)
    for kpi, d in DEFINITIONS.items():
        assert defs[kpi]["definition"] == d.definition
        assert defs[kpi]["label_en"] == d.label_en and defs[kpi]["unit"] == d.unit
    assert meta["targets"]["ukp_days"]["target"] == 1767
    assert set(meta["status_rule"]) >= {"green", "yellow", "red"}
    assert meta["scenario_values"]["period"]["warmup_days"] == 30


def test_run_json_records_the_command_that_was_run(meta, run_dir):
    """run.json's `command` must be the run's own arguments, also when main() is given argv."""
    scenario = run_dir[0]
    assert meta["command"].startswith("ukp-sim run ")
    assert str(scenario) in meta["command"]
    assert "--replications 2" in meta["command"]


def test_same_seed_twice_gives_identical_results(run_dir, meta):
    scenario, out, _, _ = run_dir
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    rc, _, err = run_main(run_args(scenario, out))
    assert rc == 0, err
    assert files_in(out) == OUTPUT_FILES
    for name in ("kpis.csv", "kpis_monthly.csv", "replications.csv"):
        assert (out / name).read_bytes() == before[name], name
    again = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert set(again) == set(meta)
    differing = {k for k in meta if meta[k] != again[k]}
    assert differing <= VOLATILE, differing
    strip = lambda m: {k: v for k, v in m.items() if k not in VOLATILE}  # noqa: E731
    assert strip(again) == strip(meta)


def test_jobs_do_not_change_the_files(run_dir, tmp_path):
    scenario, out, _, _ = run_dir
    rc, _, err = run_main(run_args(scenario, tmp_path / "par", "--jobs", "2"))
    assert rc == 0, err
    for name in ("kpis.csv", "kpis_monthly.csv", "replications.csv"):
        assert (tmp_path / "par" / name).read_bytes() == (out / name).read_bytes(), name


def test_a_different_seed_gives_different_results(run_dir, tmp_path):
    scenario, out, _, _ = run_dir
    args = run_args(scenario, tmp_path / "other")
    args[args.index("--seed") + 1] = str(SEED + 1)
    rc, _, err = run_main(args)
    assert rc == 0, err
    assert (tmp_path / "other" / "replications.csv").read_bytes() != (out / "replications.csv").read_bytes()


def test_default_output_folder_is_results_scenario_name(tmp_path, monkeypatch):
    scenario = whatif(tmp_path)
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_main(["run", str(scenario), "-n", "1", "--quiet"])
    assert rc == 0, err
    assert files_in(tmp_path / "results" / "small_whatif") == OUTPUT_FILES


def test_run_without_quiet_prints_the_table(tmp_path, capsys):
    scenario = whatif(tmp_path)
    rc = main(["run", str(scenario), "-n", "2", "-s", "3", "-o", str(tmp_path / "o"), "--lang", "en"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "Year 2022 (2 replications)" in out
    assert DEFINITIONS["ukp_days"].label_en in out
    assert "Target" in out and "95 % CI" in out
    assert "wrote kpis.csv, kpis_monthly.csv, replications.csv, run.json" in out
    assert "\033[" not in out  # no colour codes when stdout is not a terminal
    assert "Traceback" not in err


def test_console_script_in_a_subprocess(run_dir, tmp_path):
    scenario = run_dir[0]
    out = tmp_path / "sub"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([*console_script(), *run_args(scenario, out)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert files_in(out) == OUTPUT_FILES
    # the same seed gives the same numbers in another process
    for name in ("kpis.csv", "kpis_monthly.csv", "replications.csv"):
        assert (out / name).read_bytes() == (run_dir[1] / name).read_bytes(), name
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["command"].startswith("ukp-sim run ") and "--replications 2" in meta["command"]


def test_console_script_error_in_a_subprocess(tmp_path):
    bad = whatif(tmp_path, "[municipalities.Melhus]\npopulaton = 5\n", name="bad.toml")
    proc = subprocess.run([*console_script(), "run", str(bad), "--out", str(tmp_path / "o"), "-q"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    line = assert_user_error(proc.returncode, proc.stdout, proc.stderr)
    assert "did you mean" in line
    assert not (tmp_path / "o").exists()


def test_interrupted_run_writes_the_finished_replications_and_exits_130(tmp_path, monkeypatch):
    import ukp_sim.analysis.runner as experiment

    real = experiment.single_run

    def stop_at_second(scenario, seed, replication):
        if replication == 1:
            raise KeyboardInterrupt
        return real(scenario, seed, replication)

    monkeypatch.setattr(experiment, "single_run", stop_at_second)
    out = tmp_path / "out"
    rc, stdout, err = run_main(run_args(whatif(tmp_path), out))
    assert rc == 130
    assert "interrupted" in err and "1 of 2" in err
    assert files_in(out) == OUTPUT_FILES
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["interrupted"] is True
    assert (meta["replications_requested"], meta["replications_completed"]) == (2, 1)
    assert set(pd.read_csv(out / "replications.csv")["replication"]) == {0}


def test_interrupted_before_any_replication_writes_nothing(tmp_path, monkeypatch):
    import ukp_sim.analysis.runner as experiment

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "single_run", interrupted)
    out = tmp_path / "out"
    rc, _, err = run_main(run_args(whatif(tmp_path), out))
    assert rc == 130
    assert "nothing written" in err
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# run: input errors exit 2 with one line and write nothing
# --------------------------------------------------------------------------------------------
def test_misspelt_key_is_one_line_error_and_writes_nothing(tmp_path, monkeypatch):
    bad = whatif(tmp_path, "[municipalities.Melhus]\npopulaton = 5\n", name="typo.toml")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    rc, stdout, err = run_main(["run", str(bad), "--replications", "2", "--out", str(out), "--quiet"])
    line = assert_user_error(rc, stdout, err)
    assert str(bad) in line
    assert "municipalities.Melhus.populaton" in line
    assert "did you mean" in line and "'population'" in line
    assert not out.exists()
    assert files_in(tmp_path) == {"typo.toml"}  # not even results/<name>


def test_misspelt_key_without_out_creates_no_results_folder(tmp_path, monkeypatch):
    bad = whatif(tmp_path, "[municipalities.Melhus]\npopulaton = 5\n", name="typo.toml")
    monkeypatch.chdir(tmp_path)
    rc, stdout, err = run_main(["run", str(bad), "-n", "2"])
    assert_user_error(rc, stdout, err)
    assert stdout == ""
    assert files_in(tmp_path) == {"typo.toml"}


def test_toml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "syntax.toml"
    bad.write_text(f'extends = {toml_str(str(BASELINE))}\n[period]\nwarmup_days = = 30\n', encoding="utf-8")
    out = tmp_path / "out"
    rc, stdout, err = run_main(["run", str(bad), "-n", "2", "--out", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "syntax.toml" in line
    assert "line 3" in line
    assert not out.exists()


def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "nope.toml"
    out = tmp_path / "out"
    rc, stdout, err = run_main(["run", str(missing), "-n", "2", "--out", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "nope.toml" in line and "not found" in line
    assert not out.exists()


def test_invalid_value_is_a_user_error(tmp_path):
    bad = whatif(tmp_path, 'description = "x"\n[hospital]\ncommunity_share = 1.5\n', name="range.toml")
    rc, stdout, err = run_main(["run", str(bad), "-n", "2", "--out", str(tmp_path / "out"), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "hospital.community_share" in line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------
def test_validate_baseline(capsys):
    rc = main(["validate", str(BASELINE)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "OK" in out and "'baseline'" in out
    assert "20 municipalities" in out
    assert err == ""


def test_validate_whatif(tmp_path, capsys):
    rc = main(["validate", str(whatif(tmp_path))])
    out, _ = capsys.readouterr()
    assert rc == 0 and "'small_whatif'" in out


def test_validate_bad_file(tmp_path, capsys):
    bad = whatif(tmp_path, "[municipalities.Melhus]\npopulaton = 5\n", name="typo.toml")
    rc = main(["validate", str(bad)])
    out, err = capsys.readouterr()
    line = assert_user_error(rc, out, err)
    assert "did you mean" in line
    assert out == ""


def test_validate_missing_file(tmp_path, capsys):
    rc = main(["validate", str(tmp_path / "nope.toml")])
    out, err = capsys.readouterr()
    assert_user_error(rc, out, err)


# --------------------------------------------------------------------------------------------
# Argument errors (argparse exits 2)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--replications", "0"], "--replications"),
    (["--replications", "-3"], "--replications"),
    (["--replications", "two"], "--replications"),
    (["--jobs", "0"], "--jobs"),
    (["--seed", "-1"], "--seed"),
    (["--seed", "x"], "--seed"),
    (["--lang", "de"], "--lang"),
])
def test_bad_arguments_exit_2(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["run", str(BASELINE), "--out", str(tmp_path / "out"), *args])
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_replications_zero_message(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", str(BASELINE), "--replications", "0"])
    assert info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["simulate", str(BASELINE)])
    assert info.value.code == 2


def test_no_command_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    assert "usage: ukp-sim" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# Help and version
# --------------------------------------------------------------------------------------------
def help_text(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    return capsys.readouterr().out


def test_top_level_help(capsys):
    text = help_text(["--help"], capsys)
    for word in ("run", "validate", "--version", "--help", "Exit codes"):
        assert word in text, word
    assert help_text(["-h"], capsys) == text


def test_run_help_mentions_every_option(capsys):
    text = help_text(["run", "--help"], capsys)
    for option in ("--replications", "--seed", "--jobs", "--out", "--quiet", "--lang", "scenario"):
        assert option in text, option
    for short in ("-n", "-s", "-j", "-o", "-q"):
        assert short in text, short


def test_validate_help(capsys):
    text = help_text(["validate", "--help"], capsys)
    assert "scenario" in text
    assert "usage: ukp-sim validate" in text


def test_version(capsys):
    assert help_text(["--version"], capsys).strip() == f"ukp-sim {ukp_sim.__version__}"

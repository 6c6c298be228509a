"""Comparing scenarios under common random numbers (ukp_sim.analysis.compare and ``ukp-sim compare``).

Scenarios are small what-ifs in tmp_path that extend the real baseline by absolute path with a
30-day warm-up (a replication takes about a third of a second), run with 3-5 replications.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ukp_sim
from ukp_sim.analysis.compare import (
    CRN_STATEMENT,
    DIFFERENCE_COLUMNS,
    excludes_zero,
    paired_differences,
    savings,
    unpaired_difference,
)
from ukp_sim.analysis.runner import KEYS, mean_ci, run_many
from ukp_sim.cli.main import main
from ukp_sim.config.loader import load_scenario
from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import DEFINITIONS, TOTAL, WHOLE_YEAR
from ukp_sim.report.console import fmt_diff

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "prior" / "baseline_prior.toml"
SEED = 1
REPS = 5
CLI_REPS = 3
OUTPUT_FILES = {"kpis.csv", "differences.csv", "replications.csv", "run.json"}
KPIS_COLUMNS = ["scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target",
                "attainment", "status"]
DIFF_COLUMNS = ["scenario", "baseline", "year", "municipality", "kpi", "mean_difference", "ci_low", "ci_high",
                "n", "relative_change"]
REPS_COLUMNS = ["scenario", "replication", "year", "municipality", "kpi", "value"]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def scenario_file(folder: Path, file: str, name: str, body: str = "") -> Path:
    """A what-if extending the baseline (absolute path) with a 30-day warm-up."""
    path = folder / file
    path.write_text(f'extends = {json.dumps(str(BASELINE))}\nname = "{name}"\n{body}\n[period]\nwarmup_days = 30\n',
                    encoding="utf-8")
    return path


MELHUS_PLUS_2 = "[municipalities.Melhus.korttid.units.korttid]\nbeds = 26\n"  # baseline: 24
MALVIK_PLUS_4 = "[municipalities.Malvik.korttid.units.korttid]\nbeds = 30\n"  # baseline: 26


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def assert_user_error(rc: int, out: str, err: str) -> str:
    assert rc == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got:\n{err}"
    assert lines[0].startswith("error: ")
    return lines[0]


def yearly(table: pd.DataFrame, municipality: str, kpi: str) -> np.ndarray:
    sel = table[(table["municipality"] == municipality) & (table["kpi"] == kpi) & (table["month"] == WHOLE_YEAR)]
    return sel.sort_values("replication")["value"].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("compare_scenarios")
    return {
        "base": scenario_file(folder, "base.toml", "base"),
        "melhus": scenario_file(folder, "melhus.toml", "melhus_plus_2", MELHUS_PLUS_2),
        "malvik": scenario_file(folder, "malvik.toml", "malvik_plus_4", MALVIK_PLUS_4),
        "copy": scenario_file(folder, "copy.toml", "base_copy"),
    }


@pytest.fixture(scope="module")
def runs(files):
    """Baseline and Melhus +2 korttid beds, REPS replications, same seed (common random numbers)."""
    scenarios = {"base": load_scenario(files["base"]), "melhus": load_scenario(files["melhus"])}
    return run_many(scenarios, range(REPS), SEED, jobs=2)


@pytest.fixture(scope="module")
def melhus_diff(runs) -> pd.DataFrame:
    return paired_differences(runs["base"].table, runs["melhus"].table)


# --------------------------------------------------------------------------------------------
# paired_differences on hand-made tables
# --------------------------------------------------------------------------------------------
def hand_table(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    rows = []
    for (muni, kpi), vals in values.items():
        for rep, v in enumerate(vals):
            rows.append({"replication": rep, "year": 2022, "month": 0, "municipality": muni, "kpi": kpi, "value": v})
    return pd.DataFrame(rows)


def test_paired_differences_by_hand():
    base = hand_table({(TOTAL, "ukp_days"): [100.0, 120.0, 90.0, 110.0],
                       ("Melhus", "korttid_los"): [20.0, math.nan, 22.0, 24.0]})
    other = hand_table({(TOTAL, "ukp_days"): [90.0, 104.0, 85.0, 97.0],
                        ("Melhus", "korttid_los"): [19.0, 18.0, math.nan, 21.0]})
    d = paired_differences(base, other)
    assert list(d.columns) == DIFFERENCE_COLUMNS
    days = d[d["kpi"] == "ukp_days"].iloc[0]
    diffs = np.array([-10.0, -16.0, -5.0, -13.0])
    m, lo, hi, n = mean_ci(diffs)
    assert (days["mean_difference"], days["ci_low"], days["ci_high"], days["n"]) == (
        pytest.approx(m), pytest.approx(lo), pytest.approx(hi), 4)
    assert days["base_mean"] == 105.0 and days["other_mean"] == 94.0
    assert days["relative_change"] == pytest.approx(-11.0 / 105.0)
    # only replications where both values exist are paired (0 and 3)
    los = d[d["kpi"] == "korttid_los"].iloc[0]
    assert los["n"] == 2
    assert los["mean_difference"] == pytest.approx(-2.0)
    assert los["base_mean"] == pytest.approx(22.0)
    assert los["relative_change"] == pytest.approx(-2.0 / 22.0)


def test_paired_differences_pair_by_replication_number_not_row_order():
    base = hand_table({(TOTAL, "ukp_days"): [100.0, 200.0, 300.0]})
    other = hand_table({(TOTAL, "ukp_days"): [101.0, 202.0, 303.0]}).iloc[::-1]
    d = paired_differences(base, other).iloc[0]
    assert d["mean_difference"] == pytest.approx(2.0) and d["n"] == 3


def test_paired_differences_zero_base_mean_has_no_relative_change():
    base = hand_table({(TOTAL, "ukp_days"): [0.0, 0.0, 0.0]})
    other = hand_table({(TOTAL, "ukp_days"): [1.0, 2.0, 3.0]})
    d = paired_differences(base, other).iloc[0]
    assert d["mean_difference"] == 2.0 and math.isnan(d["relative_change"])


def test_unpaired_difference_is_welch():
    from scipy import stats

    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 5.0, 9.0, 10.0])
    diff, lo, hi = unpaired_difference(a, b)
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert diff == pytest.approx(b.mean() - a.mean())
    assert (lo, hi) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_excludes_zero():
    assert excludes_zero(1.0, 2.0) and excludes_zero(-2.0, -0.5)
    assert not excludes_zero(-1.0, 1.0) and not excludes_zero(0.0, 0.0) and not excludes_zero(math.nan, 1.0)


# --------------------------------------------------------------------------------------------
# Common random numbers in the model
# --------------------------------------------------------------------------------------------
def test_a_scenario_against_itself_has_a_ci_of_exactly_zero(runs, files):
    """A copy of the baseline under another name, run separately (and in other processes),
    shares every random number: every paired difference is exactly 0, and so is its CI."""
    copy = run_many({"copy": load_scenario(files["copy"])}, range(3), SEED, jobs=2)["copy"]
    base = runs["base"].table[runs["base"].table["replication"] < 3]
    d = paired_differences(base, copy.table)
    defined = d[d["n"] >= 2]
    assert len(defined) > 0.9 * len(d)
    assert (defined["mean_difference"] == 0.0).all()
    assert (defined["ci_low"] == 0.0).all() and (defined["ci_high"] == 0.0).all()
    # and against its own table
    same = paired_differences(runs["base"].table, runs["base"].table)
    same = same[same["n"] >= 2]
    assert (same[["mean_difference", "ci_low", "ci_high"]].to_numpy() == 0.0).all()
    sv = savings(paired_differences(base, copy.table))
    assert len(sv) == 3 and (sv[["mean", "ci_low", "ci_high"]].to_numpy() == 0.0).all()
    assert not np.signbit(sv[["mean", "ci_low", "ci_high"]].to_numpy()).any()  # 0, not -0


@pytest.mark.slow  # statistical: the paired CI over 5 baseline replications
def test_more_korttid_beds_in_melhus_lower_its_ukp_days_with_a_narrower_paired_ci(runs, melhus_diff):
    row = melhus_diff[(melhus_diff["municipality"] == "Melhus") & (melhus_diff["kpi"] == "ukp_days")
                      & (melhus_diff["month"] == WHOLE_YEAR)].iloc[0]
    assert row["n"] == REPS
    assert row["mean_difference"] < 0
    assert row["ci_high"] < 0  # the paired CI excludes 0
    assert row["relative_change"] < 0
    # every replication: more beds never raise Melhus's UKP-days (common random numbers)
    base, more = yearly(runs["base"].table, "Melhus", "ukp_days"), yearly(runs["melhus"].table, "Melhus", "ukp_days")
    assert (more <= base).all()
    # variance reduction: the paired CI is narrower than the unpaired CI of the difference of means
    _, ulo, uhi = unpaired_difference(base, more)
    assert row["ci_high"] - row["ci_low"] < uhi - ulo
    assert row["mean_difference"] == pytest.approx(more.mean() - base.mean())
    # for the whole community the reduction is large
    tot = melhus_diff[(melhus_diff["municipality"] == TOTAL) & (melhus_diff["kpi"] == "ukp_days")
                      & (melhus_diff["month"] == WHOLE_YEAR)].iloc[0]
    _, tlo, thi = unpaired_difference(yearly(runs["base"].table, TOTAL, "ukp_days"),
                                      yearly(runs["melhus"].table, TOTAL, "ukp_days"))
    assert tot["ci_high"] - tot["ci_low"] < 0.5 * (thi - tlo)


def test_savings_are_minus_the_differences(melhus_diff):
    sv = savings(melhus_diff)
    assert list(sv["quantity"]) == ["ukp_days_saved", "cost_saved_nok", "beds_freed"]
    d = melhus_diff[(melhus_diff["municipality"] == TOTAL) & (melhus_diff["month"] == WHOLE_YEAR)].set_index("kpi")
    for r in sv.itertuples():
        assert r.mean == pytest.approx(-d.loc[r.kpi, "mean_difference"])
        assert r.ci_low == pytest.approx(-d.loc[r.kpi, "ci_high"])
        assert r.ci_high == pytest.approx(-d.loc[r.kpi, "ci_low"])
        assert r.ci_low <= r.mean <= r.ci_high
    days = sv[sv["quantity"] == "ukp_days_saved"].iloc[0]
    assert days["mean"] > 0


def test_differences_cover_every_key(runs, melhus_diff):
    keys = runs["base"].table[KEYS].drop_duplicates()
    assert len(melhus_diff) == len(keys)
    assert not melhus_diff.duplicated(KEYS).any()


# --------------------------------------------------------------------------------------------
# ukp-sim compare
# --------------------------------------------------------------------------------------------
def compare_args(files, out: Path, *extra: str) -> list[str]:
    return ["compare", str(files["base"]), str(files["melhus"]), str(files["malvik"]), "--replications",
            str(CLI_REPS), "--seed", str(SEED), "--out", str(out), "--quiet", *extra]


@pytest.fixture(scope="module")
def compare_dir(files, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare_out") / "out"
    rc, stdout, stderr = run_main(compare_args(files, out))
    assert rc == 0, stderr
    assert stdout == "" and stderr == ""
    return out


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, keep_default_na=False, na_values=[""])


def test_compare_writes_the_four_files_with_their_columns(compare_dir):
    assert {p.name for p in compare_dir.iterdir()} == OUTPUT_FILES
    kpis, diffs, reps = read(compare_dir, "kpis.csv"), read(compare_dir, "differences.csv"), \
        read(compare_dir, "replications.csv")
    assert list(kpis.columns) == KPIS_COLUMNS
    assert list(diffs.columns) == DIFF_COLUMNS
    assert list(reps.columns) == REPS_COLUMNS
    names = ["base", "melhus_plus_2", "malvik_plus_4"]
    assert list(kpis["scenario"].unique()) == names
    assert list(diffs["scenario"].unique()) == names[1:]
    assert (diffs["baseline"] == "base").all()
    assert list(reps["scenario"].unique()) == names
    for name in names:
        assert sorted(reps[reps["scenario"] == name]["replication"].unique()) == list(range(CLI_REPS))
    assert not kpis.duplicated(["scenario", "year", "municipality", "kpi"]).any()
    assert not diffs.duplicated(["scenario", "year", "municipality", "kpi"]).any()
    assert len(diffs) == 2 * len(kpis[kpis["scenario"] == "base"])


def test_compare_kpis_targets_attainment_status(compare_dir):
    targets, _ = load_targets()
    kpis = read(compare_dir, "kpis.csv")
    days = kpis[(kpis["municipality"] == TOTAL) & (kpis["kpi"] == "ukp_days")]
    assert len(days) == 3
    t = targets["ukp_days"]
    for r in days.itertuples():
        assert r.target == t.target and r.status in {"green", "yellow", "red"}
        assert r.attainment == pytest.approx(t.attainment(r.mean))
        assert r.attainment == pytest.approx((t.baseline - r.mean) / (t.baseline - t.target))
    no_target = kpis[kpis["target"].isna()]
    assert no_target["attainment"].isna().all() and no_target["status"].isna().all()
    # KPI 5: the target equals the baseline, so there is a status but no attainment
    readm = kpis[(kpis["municipality"] == TOTAL) & (kpis["kpi"] == "readmission_30d_share")]
    assert readm["target"].notna().all() and readm["attainment"].isna().all()


def test_compare_differences_are_the_paired_differences_of_replications_csv(compare_dir):
    reps = read(compare_dir, "replications.csv").assign(month=WHOLE_YEAR)
    diffs = read(compare_dir, "differences.csv")
    base = reps[reps["scenario"] == "base"]
    for name in ("melhus_plus_2", "malvik_plus_4"):
        expected = paired_differences(base, reps[reps["scenario"] == name]).drop(columns="month")
        got = diffs[diffs["scenario"] == name]
        merged = got.merge(expected, on=["year", "municipality", "kpi"], suffixes=("", "_x"))
        assert len(merged) == len(got)
        for col in ("mean_difference", "ci_low", "ci_high", "relative_change"):
            np.testing.assert_allclose(merged[col], merged[col + "_x"], rtol=1e-9, atol=1e-9, equal_nan=True)
        assert (merged["n"] == merged["n_x"]).all()
    # Malvik's beds change Malvik, Melhus's change Melhus
    mel = diffs[(diffs["scenario"] == "melhus_plus_2") & (diffs["municipality"] == "Melhus")
                & (diffs["kpi"] == "ukp_days")].iloc[0]
    assert mel["mean_difference"] < 0


def test_compare_run_json(compare_dir, files):
    meta = json.loads((compare_dir / "run.json").read_text(encoding="utf-8"))
    assert meta["baseline"] == "base"
    assert [s["name"] for s in meta["scenarios"]] == ["base", "melhus_plus_2", "malvik_plus_4"]
    sha = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()  # noqa: E731
    for s, key in zip(meta["scenarios"], ("base", "melhus", "malvik")):
        assert Path(s["scenario_file"]) == files[key]
        got = {Path(f["path"]).resolve(): f["sha256"] for f in s["scenario_files"]}
        assert got == {BASELINE.resolve(): sha(BASELINE), files[key].resolve(): sha(files[key])}
        assert s["scenario_hash"]
    assert meta["seed"] == SEED and meta["replications"] == CLI_REPS
    assert meta["version"] == ukp_sim.__version__ and meta["date"]
    assert meta["command"].startswith("ukp-sim compare ") and "--replications 3" in meta["command"]
    assert meta["common_random_numbers"] is True
    assert meta["comparison"] == CRN_STATEMENT and "common random numbers" in meta["comparison"]
    assert "paired" in meta["comparison"]
    assert set(meta["kpi_definitions"]) == set(DEFINITIONS)
    assert meta["precision"] is None
    assert set(meta["savings"]) == {"melhus_plus_2", "malvik_plus_4"}
    assert {r["quantity"] for r in meta["savings"]["melhus_plus_2"]} == {"ukp_days_saved", "cost_saved_nok",
                                                                      "beds_freed"}
    assert set(meta["scenario_values"]) == {"base", "melhus_plus_2", "malvik_plus_4"}


@pytest.mark.slow  # 9 more baseline runs; jobs-independence is also checked fast in test_cli and test_experiment
def test_compare_jobs_do_not_change_the_numbers(compare_dir, files, tmp_path):
    out = tmp_path / "par"
    rc, _, err = run_main(compare_args(files, out, "--jobs", "2"))
    assert rc == 0, err
    for name in ("kpis.csv", "differences.csv", "replications.csv"):
        assert (out / name).read_bytes() == (compare_dir / name).read_bytes(), name


def test_compare_prints_the_side_by_side_table(files, tmp_path):
    out = tmp_path / "o"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["melhus"]), "-n", "2", "-s", str(SEED),
                                "-o", str(out), "--lang", "en"])
    assert rc == 0, err
    assert "Year 2022 (2 replications; paired differences against base, common random numbers)" in stdout
    assert "Δ melhus_plus_2" in stdout and "95 % CI" in stdout
    assert DEFINITIONS["ukp_days"].label_en in stdout
    assert "the 95 % CI of the paired difference excludes 0" in stdout
    assert "What melhus_plus_2 saves against base" in stdout
    assert "UKP-days saved" in stdout and "beds freed" in stdout and "cost saved" in stdout
    assert "wrote kpis.csv, differences.csv, replications.csv, run.json" in stdout
    assert "Traceback" not in err
    # UKP-days per municipality below the community's, largest first, each with its paired difference.
    kpis = read(out, "kpis.csv")
    days = kpis[(kpis["kpi"] == "ukp_days") & (kpis["scenario"] == "base") & (kpis["year"] == 2022)
                & (kpis["municipality"] != "Total") & ~kpis["municipality"].str.contains("/")]
    order = days.sort_values(["mean", "municipality"], ascending=[False, True])["municipality"].tolist()
    lines = stdout.splitlines()
    at = [next(i for i, line in enumerate(lines) if line.startswith(f"     {m} ")) for m in order]
    assert at == sorted(at) and len(order) > 3
    melhus = next(line for line in lines if line.startswith("     Melhus "))
    diffs = read(out, "differences.csv")
    d = diffs[(diffs["kpi"] == "ukp_days") & (diffs["municipality"] == "Melhus") & (diffs["year"] == 2022)].iloc[0]
    assert fmt_diff(d["mean_difference"], "days", "en") in melhus


def test_compare_prints_norwegian_by_default(files, tmp_path):
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["melhus"]), "-n", "2",
                                "-o", str(tmp_path / "o")])
    assert rc == 0, err
    assert "parvise differanser mot base" in stdout and "95 % KI" in stdout
    assert "UKP-døgn spart" in stdout and "senger frigjort" in stdout


def test_compare_default_output_folder(files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = run_main(["compare", str(files["base"]), str(files["melhus"]), "-n", "1", "-q"])
    assert rc == 0, err
    assert {p.name for p in (tmp_path / "results" / "compare").iterdir()} == OUTPUT_FILES


# --------------------------------------------------------------------------------------------
# compare: input errors exit 2 before anything runs and write nothing
# --------------------------------------------------------------------------------------------
@pytest.fixture
def no_runs(monkeypatch):
    """Make any simulation fail loudly, to show an input error stops before anything runs."""
    import ukp_sim.analysis.runner as experiment

    def forbidden(*args):
        raise AssertionError("a replication ran")

    monkeypatch.setattr(experiment, "single_run", forbidden)


def test_duplicate_scenario_names_exit_2_and_write_nothing(files, tmp_path, no_runs):
    twin = scenario_file(tmp_path, "twin.toml", "melhus_plus_2")
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["melhus"]), str(twin), "-n", "2",
                                "-o", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "twin.toml" in line and "'melhus_plus_2'" in line and str(files["melhus"]) in line
    assert not out.exists()


def test_the_same_file_twice_is_a_duplicate_name(files, tmp_path, no_runs):
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["base"]), "-o", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "'base'" in line
    assert not out.exists()


def test_a_bad_file_among_several_exits_2_before_any_run(files, tmp_path, no_runs, monkeypatch):
    bad = scenario_file(tmp_path, "bad.toml", "bad", "[municipalities.Melhus]\npopulaton = 5\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(bad), str(files["melhus"]), "-n", "2",
                                "-o", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert str(bad) in line and "municipalities.Melhus.populaton" in line and "did you mean" in line
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"bad.toml"}


def test_a_missing_last_file_exits_2_before_any_run(files, tmp_path, no_runs):
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["melhus"]), str(tmp_path / "nope.toml"),
                                "-o", str(out), "-q"])
    line = assert_user_error(rc, stdout, err)
    assert "nope.toml" in line
    assert not out.exists()


def test_an_interrupted_comparison_writes_nothing_and_exits_130(files, tmp_path, monkeypatch):
    import ukp_sim.analysis.runner as experiment

    real = experiment.single_run

    def stop_at_second(scenario, seed, replication):
        if replication == 1:
            raise KeyboardInterrupt
        return real(scenario, seed, replication)

    monkeypatch.setattr(experiment, "single_run", stop_at_second)
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(files["base"]), str(files["melhus"]), "-n", "2", "-o", str(out),
                                "-q"])
    assert rc == 130
    assert "interrupted" in err and "nothing written" in err
    assert not out.exists()


def test_compare_needs_two_files(files, capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", str(files["base"])])
    assert info.value.code == 2


def test_compare_precision_with_replications_is_an_error(files, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", str(files["base"]), str(files["melhus"]), "--replications", "10", "--precision", "0.05",
              "-o", str(tmp_path / "out")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--precision" in err and "not allowed with" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_compare_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--replications", "--precision", "--precision-kpis", "--min-replications",
                   "--max-replications", "--seed", "--jobs", "--out", "--lang", "--quiet", "baseline"):
        assert option in text, option


def test_top_level_help_lists_compare(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "compare" in capsys.readouterr().out


def test_small_scenarios_are_the_baseline_with_a_short_warmup(files):
    base = load_scenario(BASELINE)
    small = load_scenario(files["base"])
    assert small.period.warmup_days == 30
    assert dataclasses.replace(small, name=base.name, period=base.period, source_files=base.source_files,
                               content_hash=base.content_hash, description=base.description) == base

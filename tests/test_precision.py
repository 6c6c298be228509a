"""Choosing the number of replications for a wanted precision (``--precision``).

The batch logic is tested on a fake replication whose values are known; the real model runs on
the baseline with a 30-day warm-up and a handful of replications.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ukp_sim.analysis.runner as experiment
from ukp_sim.analysis.precision import (
    DEFAULT_PRECISION_KPIS,
    difference_check,
    precision_check,
    replications_needed,
    run_to_precision,
)
from ukp_sim.analysis.runner import run_replications
from ukp_sim.cli.main import main
from ukp_sim.config.loader import load_scenario
from ukp_sim.kpi import TOTAL, WHOLE_YEAR

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "prior" / "baseline_prior.toml"
SEED = 5
SMALL = Path(__file__).parent / "scenarios" / "one_municipality.toml"


def table_of(values: dict[str, list[float]], year: int = 2022) -> pd.DataFrame:
    rows = []
    for kpi, vals in values.items():
        for rep, v in enumerate(vals):
            rows.append({"replication": rep, "year": year, "month": WHOLE_YEAR, "municipality": TOTAL, "kpi": kpi,
                         "value": v})
            rows.append({"replication": rep, "year": year, "month": 3, "municipality": TOTAL, "kpi": kpi,
                         "value": 1e6})  # a month: ignored
            rows.append({"replication": rep, "year": year, "month": WHOLE_YEAR, "municipality": "Melhus",
                         "kpi": kpi, "value": -1e6})  # a municipality: ignored
    return pd.DataFrame(rows)


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def small():
    s = load_scenario(BASELINE)
    return dataclasses.replace(s, period=dataclasses.replace(s.period, warmup_days=30))


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("precision") / "small.toml"
    path.write_text(f'extends = {json.dumps(str(BASELINE))}\nname = "small"\n[period]\nwarmup_days = 30\n',
                    encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# precision_check
# --------------------------------------------------------------------------------------------
def test_precision_check_by_hand():
    vals = [100.0, 110.0, 90.0, 104.0, 96.0]
    check = precision_check(table_of({"ukp_days": vals, "zero_day_share": [0.7] * 5}), 0.05,
                            ("ukp_days", "zero_day_share"))
    assert list(check["kpi"]) == ["ukp_days", "zero_day_share"]
    days = check.iloc[0]
    t = stats.t.ppf(0.975, 4)
    s = np.std(vals, ddof=1)
    assert days["n"] == 5 and days["mean"] == pytest.approx(100.0)
    assert days["half_width"] == pytest.approx(t * s / math.sqrt(5))
    assert days["relative_half_width"] == pytest.approx(t * s / math.sqrt(5) / 100.0)
    assert bool(days["met"]) == bool(t * s / math.sqrt(5) / 100.0 <= 0.05)
    # the smallest n whose t(n-1)-interval with this spread is within 5 % of the mean
    n = next(m for m in range(2, 1000) if stats.t.ppf(0.975, m - 1) * s / math.sqrt(m) <= 0.05 * 100.0)
    assert days["needed"] == n == replications_needed(s, 100.0, 0.05)
    constant = check.iloc[1]  # no spread: a CI of width 0 always meets the precision
    assert constant["half_width"] == 0 and constant["relative_half_width"] == 0 and bool(constant["met"])


def test_replications_needed():
    # cv 10 % and 5 % precision: about (1.96 * 0.1 / 0.05)^2 = 15.4, a little more with t
    n = replications_needed(100.0, 1000.0, 0.05)
    assert stats.t.ppf(0.975, n - 1) * 100.0 / math.sqrt(n) <= 50.0
    assert stats.t.ppf(0.975, n - 2) * 100.0 / math.sqrt(n - 1) > 50.0
    assert 16 <= n <= 19
    assert replications_needed(0.0, 5.0, 0.05) == 2
    assert replications_needed(1.0, -10.0, 0.05) == replications_needed(1.0, 10.0, 0.05)
    with pytest.raises(ValueError):
        replications_needed(1.0, 0.0, 0.05)


def test_precision_check_looser_precision_is_met():
    vals = [100.0, 110.0, 90.0, 104.0, 96.0]
    assert not precision_check(table_of({"ukp_days": vals}), 0.05, ("ukp_days",))["met"].iloc[0]
    assert precision_check(table_of({"ukp_days": vals}), 0.5, ("ukp_days",))["met"].iloc[0]


def test_precision_check_cannot_judge_a_zero_mean_or_one_value():
    check = precision_check(table_of({"ukp_days": [-1.0, 1.0, 0.0]}), 0.05, ("ukp_days",)).iloc[0]
    assert not check["met"] and math.isnan(check["needed"]) and math.isnan(check["relative_half_width"])
    one = precision_check(table_of({"ukp_days": [5.0]}), 0.05, ("ukp_days",)).iloc[0]
    assert not one["met"] and math.isnan(one["half_width"])


def test_precision_check_per_year():
    t = pd.concat([table_of({"ukp_days": [1.0, 2.0, 3.0]}, 2022), table_of({"ukp_days": [5.0, 5.0, 5.0]}, 2023)])
    check = precision_check(t, 0.05, ("ukp_days",))
    assert list(check["year"]) == [2022, 2023]
    assert list(check["met"]) == [False, True]


# --------------------------------------------------------------------------------------------
# run_to_precision: the batch logic, on a fake replication with known spread
# --------------------------------------------------------------------------------------------
@pytest.fixture
def fake_runs(monkeypatch):
    """single_run replaced by a normal(1000, 100) draw seeded by (seed, replication)."""
    calls = []

    def fake(scenario, seed, replication):
        calls.append(replication)
        rng = np.random.default_rng([seed, replication])
        rows = [{"replication": replication, "year": 2022, "month": WHOLE_YEAR, "municipality": TOTAL, "kpi": k,
                 "value": float(v)} for k, v in zip(DEFAULT_PRECISION_KPIS, rng.normal([1000, 0.7, 4.0],
                                                                                    [100, 0.01, 0.2]))]
        return pd.DataFrame(rows)

    monkeypatch.setattr(experiment, "single_run", fake)
    return calls


def test_batches_grow_to_the_estimated_number_and_meet_the_precision(fake_runs):
    # cv 10 %: 5 % precision needs about (1.96 * 0.1 / 0.05)^2 = 16 replications
    batches = []
    res = run_to_precision(object.__new__(experiment.Scenario), SEED, 0.05, min_replications=5,
                           max_replications=100, on_batch=batches.append)
    assert res.met
    assert res.batches[0] == 5 and res.batches == batches
    assert all(a < b for a, b in zip(res.batches, res.batches[1:]))
    assert 12 <= res.replications <= 40
    assert fake_runs == list(range(res.replications))  # replications 0..n-1, each once, in order
    table = res.results[""].table
    assert list(table["replication"].unique()) == list(range(res.replications))
    assert (res.achieved["relative_half_width"] <= 0.05).all()
    assert len(res.batches) >= 2


def test_a_tight_precision_stops_at_the_maximum_and_says_not_met(fake_runs):
    res = run_to_precision(object.__new__(experiment.Scenario), SEED, 0.001, min_replications=4,
                           max_replications=12)
    assert not res.met and res.replications == 12 and res.batches == [4, 12]
    assert not res.achieved["met"].all()
    d = res.to_dict()
    assert d["met"] is False and d["replications"] == 12 and d["batches"] == [4, 12]
    assert d["max_replications"] == 12 and d["relative_half_width_wanted"] == 0.001


@pytest.mark.parametrize("kwargs", [dict(precision=0), dict(min_replications=1),
                                    dict(min_replications=5, max_replications=4)])
def test_bad_precision_settings(kwargs, fake_runs):
    with pytest.raises(ValueError):
        run_to_precision(object.__new__(experiment.Scenario), SEED, **{"precision": 0.05, **kwargs})
    assert fake_runs == []


# --------------------------------------------------------------------------------------------
# run_to_precision on the model
# --------------------------------------------------------------------------------------------
def test_a_loose_precision_needs_only_the_minimum(small):
    res = run_to_precision(small, SEED, 0.5, min_replications=3)
    assert res.met and res.replications == 3 and res.batches == [3]
    assert list(res.achieved["kpi"]) == list(DEFAULT_PRECISION_KPIS)
    assert (res.achieved["relative_half_width"] <= 0.5).all()
    assert sorted(res.results[""].table["replication"].unique()) == [0, 1, 2]


@pytest.mark.slow  # 4 + 4 + 4 baseline replications
def test_a_tight_precision_runs_to_the_maximum_and_is_reproducible(small):
    res = run_to_precision(small, SEED, 0.001, min_replications=2, max_replications=4)
    assert not res.met and res.replications == 4 and res.batches == [2, 4]
    # the result is exactly that of a fixed run of 0..n-1, whatever the batches and jobs
    fixed = run_replications(small, 4, SEED, jobs=2)
    pd.testing.assert_frame_equal(res.results[""].table, fixed.table)
    again = run_to_precision(small, SEED, 0.001, min_replications=2, max_replications=4, jobs=2)
    assert again.replications == res.replications and again.batches == res.batches
    pd.testing.assert_frame_equal(again.achieved, res.achieved)


@pytest.mark.slow  # up to 2 x 8 baseline replications
def test_the_chosen_n_is_reproducible_for_any_jobs(small):
    # (with this seed: 3 replications, then a batch up to the 6 the spread asks for, met)
    kw = dict(kpis=("mean_ukp_stay",), min_replications=3, max_replications=8)
    one = run_to_precision(small, SEED, 0.15, jobs=1, **kw)
    two = run_to_precision(small, SEED, 0.15, jobs=2, **kw)
    assert one.replications == two.replications and one.batches == two.batches
    assert 3 <= one.replications <= 8 and one.batches[0] == 3
    pd.testing.assert_frame_equal(one.achieved, two.achieved)
    pd.testing.assert_frame_equal(one.results[""].table, two.results[""].table)


# --------------------------------------------------------------------------------------------
# ukp-sim run --precision
# --------------------------------------------------------------------------------------------
def test_run_with_a_loose_precision(small_file, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = run_main(["run", str(small_file), "--precision", "0.5", "--min-replications", "3",
                                "--seed", str(SEED), "--out", str(out), "--lang", "en"])
    assert rc == 0, err
    assert "Precision: wanted a 95 % CI half-width ≤ 50\u00a0% of the mean" in stdout  # non-breaking before %
    assert "3 replications (3): met." in stdout
    assert "(3 of 3 replications" in stdout
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    p = meta["precision"]
    assert p["met"] is True and p["replications"] == 3 and p["batches"] == [3]
    assert p["kpis"] == list(DEFAULT_PRECISION_KPIS) and p["relative_half_width_wanted"] == 0.5
    assert p["min_replications"] == 3 and p["max_replications"] == 100
    assert {a["kpi"] for a in p["achieved"]} == set(DEFAULT_PRECISION_KPIS)
    assert all(a["relative_half_width"] <= 0.5 and a["met"] for a in p["achieved"])
    assert meta["replications_requested"] == 3 and meta["replications_completed"] == 3
    assert "--precision 0.5" in meta["command"]
    assert sorted(pd.read_csv(out / "replications.csv")["replication"].unique()) == [0, 1, 2]


@pytest.mark.slow  # 4 baseline replications
def test_run_with_a_tight_precision_reports_not_met(small_file, tmp_path):
    out = tmp_path / "out"
    rc, stdout, err = run_main(["run", str(small_file), "--precision", "0.001", "--min-replications", "2",
                                "--max-replications", "4", "--precision-kpis", "ukp_days,mean_ukp_stay",
                                "--seed", str(SEED), "--out", str(out)])
    assert rc == 0, err
    assert "Presisjon" in stdout and "ikke nådd" in stdout and "(2 → 4)" in stdout
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    p = meta["precision"]
    assert p["met"] is False and p["replications"] == 4 and p["batches"] == [2, 4]
    assert p["kpis"] == ["ukp_days", "mean_ukp_stay"]
    assert not any(a["met"] for a in p["achieved"])
    assert meta["replications_requested"] == 4


def test_run_without_precision_records_none(small_file, tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_main(["run", str(small_file), "-n", "1", "-o", str(out), "-q"])
    assert rc == 0, err
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["precision"] is None


@pytest.mark.slow  # 2 x 3 baseline replications
def test_compare_with_precision_uses_one_n_for_every_scenario(small_file, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = {json.dumps(str(small_file))}\nname = "other"\n'
                     "[municipalities.Melhus.korttid.units.korttid]\nbeds = 26\n", encoding="utf-8")
    out = tmp_path / "out"
    rc, stdout, err = run_main(["compare", str(small_file), str(other), "--precision", "0.5",
                                "--min-replications", "3", "--seed", str(SEED), "--out", str(out), "--lang", "en"])
    assert rc == 0, err
    assert "): met." in stdout
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["replications"] == 3 and meta["precision"]["replications"] == 3
    assert {a["scenario"] for a in meta["precision"]["achieved"]} == {"small", "other"}
    reps = pd.read_csv(out / "replications.csv")
    assert reps.groupby("scenario")["replication"].nunique().to_dict() == {"small": 3, "other": 3}


@pytest.mark.parametrize("extra, message", [
    (["--replications", "10", "--precision", "0.05"], "not allowed with"),
    (["--precision", "0.05", "-n", "5"], "not allowed with"),
    (["--precision", "0"], "--precision"),
    (["--precision", "1.5"], "--precision"),
    (["--precision", "x"], "--precision"),
    (["--precision", "0.05", "--precision-kpis", "ukp_dayz"], "unknown KPI 'ukp_dayz'"),
])
def test_bad_precision_arguments_exit_2(small_file, tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as info:
        main(["run", str(small_file), "--out", str(tmp_path / "out"), *extra])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("extra, message", [
    (["--min-replications", "3"], "--min-replications needs --precision"),
    (["--precision-kpis", "ukp_days"], "--precision-kpis needs --precision"),
    (["--precision", "0.1", "--min-replications", "1"], "at least 2"),
    (["--precision", "0.1", "--min-replications", "9", "--max-replications", "4"], "below --min-replications"),
])
def test_inconsistent_precision_options_are_user_errors(small_file, tmp_path, extra, message):
    rc, stdout, err = run_main(["run", str(small_file), "--out", str(tmp_path / "out"), "-q", *extra])
    assert rc == 2
    assert err.strip().splitlines() == [f"error: {err.strip()[7:]}"] and message in err
    assert not (tmp_path / "out").exists()


def test_precision_as_a_percentage(small_file, tmp_path):
    rc, _, err = run_main(["run", str(small_file), "--precision", "50%", "--min-replications", "2",
                           "-o", str(tmp_path / "o"), "-q"])
    assert rc == 0, err
    assert json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))["precision"][
        "relative_half_width_wanted"] == 0.5


def test_run_help_mentions_the_precision_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for option in ("--precision", "--precision-kpis", "--min-replications", "--max-replications", "-n"):
        assert option in text, option


# --------------------------------------------------------------------------------------------
# --precision-diff: the half-width of paired differences, in the KPI's units
# --------------------------------------------------------------------------------------------
def _table(values: dict[int, float], kpi: str = "ukp_days", year: int = 2022) -> pd.DataFrame:
    return pd.DataFrame([{"replication": r, "year": year, "month": WHOLE_YEAR, "municipality": TOTAL, "kpi": kpi,
                          "value": v} for r, v in values.items()])


def test_difference_check_pairs_by_replication_and_uses_the_t_interval():
    base = _table({0: 1000.0, 1: 1100.0, 2: 900.0, 3: 1050.0})
    other = _table({3: 1010.0, 2: 880.0, 1: 1030.0, 0: 990.0})  # other order: pairing is by number
    d = np.array([990 - 1000, 1030 - 1100, 880 - 900, 1010 - 1050], dtype=float)
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    got = difference_check(other, base, width=half + 1e-9, kpis=("ukp_days",)).iloc[0]
    assert got["n"] == 4 and got["mean"] == pytest.approx(d.mean())
    assert got["half_width"] == pytest.approx(half, rel=1e-12)
    assert bool(got["met"]) is True
    assert not difference_check(other, base, width=half * 0.999, kpis=("ukp_days",)).iloc[0]["met"]
    # needed: the smallest n whose t-interval at the current spread is within the width
    needed = difference_check(other, base, width=5.0, kpis=("ukp_days",)).iloc[0]["needed"]
    sd = d.std(ddof=1)
    n = int(needed)
    assert stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= 5.0 < stats.t.ppf(0.975, n - 2) * sd / np.sqrt(n - 1)


@pytest.fixture
def fake_pair(monkeypatch):
    """Two scenarios: the base draws normal(1000, 100); the other the same draw (common random
    numbers) plus an effect of -50 with its own noise normal(0, 40), so the paired difference has
    sd 40 while each level has sd ~100."""
    calls = []

    def fake(scenario, seed, replication):
        calls.append((scenario.name, replication))
        rng = np.random.default_rng([seed, replication])
        level, noise = rng.normal(1000, 100), rng.normal(0, 40)
        value = level + (0.0 if scenario.name == "base" else -50.0 + noise)
        return _table({replication: float(value)})

    monkeypatch.setattr(experiment, "single_run", fake)
    return calls


def _named(name: str):
    from dataclasses import replace

    return replace(load_scenario(SMALL), name=name)


def test_precision_diff_runs_until_every_difference_is_within_d_and_no_further(fake_pair):
    scenarios = {"base": _named("base"), "other": _named("other")}
    res = run_to_precision(scenarios, SEED, kpis=("ukp_days",), min_replications=3, max_replications=400,
                           difference=20.0)
    assert res.met and res.reference == "base" and res.difference == 20.0
    assert list(res.achieved["scenario"].unique()) == ["other"]  # no difference of the base with itself
    # sd 40, D 20: about (1.96 * 40 / 20)^2 = 15 pairs; a 5 % precision of the means would stop near 16
    # too, but with a half-width of ~50 UKP-days, i.e. the same size as the effect
    assert 10 <= res.replications <= 30
    base, other = res.results["base"].table, res.results["other"].table
    for n in res.batches[:-1]:  # every earlier batch was not yet precise enough
        sub = difference_check(other[other["replication"] < n], base[base["replication"] < n], 20.0, ("ukp_days",))
        assert not sub["met"].all()
    assert (res.achieved["half_width"] <= 20.0).all()
    d = res.to_dict()
    assert d["difference_half_width_wanted"] == 20.0 and d["differences_against"] == "base"
    assert "paired difference" in d["rule"] and "relative_half_width_wanted" not in d


@pytest.mark.parametrize("kwargs", [dict(difference=0.0), dict(difference=-5.0), dict(difference=10.0, reference="x")])
def test_bad_difference_settings(kwargs, fake_pair):
    scenarios = {"base": _named("base"), "other": _named("other")}
    with pytest.raises(ValueError):
        run_to_precision(scenarios, SEED, **kwargs)
    with pytest.raises(ValueError, match="two scenarios"):
        run_to_precision({"base": scenarios["base"]}, SEED, difference=10.0)
    assert fake_pair == []


def test_compare_precision_diff_on_the_command_line(tmp_path, small_path, capsys):
    import json

    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{small_path}"\nname = "other"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["compare", str(small_path), str(other), "--precision-diff", "1000", "--min-replications", "3",
                 "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "paired difference against" in printed
    precision = json.loads((out / "run.json").read_text())["precision"]
    assert precision["difference_half_width_wanted"] == 1000 and precision["kpis"] == ["ukp_days"]
    for wrong in (["compare", str(small_path), str(other), "--precision-diff", "0"],
                  ["compare", str(small_path), str(other), "--precision-diff", "5", "-n", "3"],
                  ["compare", str(small_path), str(other), "--precision-diff", "5", "--precision", "0.05"],
                  ["run", str(small_path), "--precision-diff", "5"]):  # one scenario has no difference
        with pytest.raises(SystemExit) as exit_:
            main([*wrong, "--out", str(tmp_path / "never")])
        assert exit_.value.code == 2
    assert not (tmp_path / "never").exists()

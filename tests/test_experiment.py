"""Replications, confidence intervals and parallel runs (ukp_sim.analysis.runner).

The simulated scenario is the real baseline with a 30-day warm-up (a replication takes well under
a second) and 3 replications.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ukp_sim.analysis.runner import KEYS, mean_ci, run_replications, single_run, summarise
from ukp_sim.config.loader import load_scenario
from ukp_sim.config.scenario import Scenario
from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import TOTAL, WHOLE_YEAR

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "prior" / "baseline_prior.toml"
REPS = 3
SEED = 4242
SUMMARY_COLUMNS = ["scenario", "year", "month", "municipality", "kpi", "mean", "ci_low", "ci_high", "n",
                   "target", "status", "attainment"]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    s = load_scenario(BASELINE)
    return dataclasses.replace(s, period=dataclasses.replace(s.period, warmup_days=30))


@pytest.fixture(scope="module")
def serial(scenario):
    return run_replications(scenario, REPS, SEED, jobs=1)


@pytest.fixture(scope="module")
def summary(serial) -> pd.DataFrame:
    return summarise(serial.table, "small")


# --------------------------------------------------------------------------------------------
# mean_ci
# --------------------------------------------------------------------------------------------
def test_mean_ci_matches_a_hand_computation():
    values = np.array([3.0, 5.0, 4.0, 9.0, 6.5])
    n = 5
    mean = values.sum() / n
    sd = math.sqrt(((values - mean) ** 2).sum() / (n - 1))
    half = stats.t.ppf(0.975, df=n - 1) * sd / math.sqrt(n)
    m, lo, hi, k = mean_ci(values)
    assert k == 5
    assert m == pytest.approx(5.5)
    assert lo == pytest.approx(mean - half, rel=1e-12)
    assert hi == pytest.approx(mean + half, rel=1e-12)
    # t(0.975, 4) = 2.776...: wider than the normal 1.96
    assert half == pytest.approx(2.7764451 * sd / math.sqrt(5), rel=1e-6)


def test_mean_ci_other_level():
    values = [3.0, 5.0, 4.0, 9.0, 6.5]
    m, lo, hi, _ = mean_ci(values, level=0.90)
    half = stats.t.ppf(0.95, df=4) * np.std(values, ddof=1) / math.sqrt(5)
    assert (lo, hi) == (pytest.approx(m - half), pytest.approx(m + half))
    m95, lo95, hi95, _ = mean_ci(values)
    assert lo95 < lo and hi < hi95


def test_mean_ci_of_one_value_has_no_interval():
    m, lo, hi, n = mean_ci(np.array([7.25]))
    assert (m, n) == (7.25, 1)
    assert math.isnan(lo) and math.isnan(hi)


def test_mean_ci_ignores_nan():
    with_nan = mean_ci(np.array([3.0, math.nan, 5.0, 4.0, 9.0, math.nan, 6.5]))
    without = mean_ci(np.array([3.0, 5.0, 4.0, 9.0, 6.5]))
    assert with_nan == pytest.approx(without)
    assert with_nan[3] == 5


def test_mean_ci_all_nan_or_empty():
    for values in (np.array([math.nan, math.nan]), np.array([])):
        m, lo, hi, n = mean_ci(values)
        assert n == 0
        assert math.isnan(m) and math.isnan(lo) and math.isnan(hi)


def test_mean_ci_nan_leaving_one_value():
    m, lo, hi, n = mean_ci([math.nan, 2.0, math.nan])
    assert (m, n) == (2.0, 1) and math.isnan(lo) and math.isnan(hi)


def test_mean_ci_of_constant_values_is_a_point():
    assert mean_ci([4.0, 4.0, 4.0]) == (4.0, 4.0, 4.0, 3)


# --------------------------------------------------------------------------------------------
# single_run and run_replications
# --------------------------------------------------------------------------------------------
def test_single_run_is_a_long_table(scenario):
    df = single_run(scenario, SEED, 0)
    assert list(df.columns) == ["replication", *KEYS, "value"]
    assert (df["replication"] == 0).all()
    assert not df.duplicated(KEYS).any()
    total_days = df[(df["municipality"] == TOTAL) & (df["kpi"] == "ukp_days") & (df["month"] == WHOLE_YEAR)]
    assert len(total_days) == 1 and total_days["value"].iloc[0] > 0


def test_replication_result(serial):
    assert serial.requested == REPS
    assert serial.completed == list(range(REPS))
    assert not serial.interrupted
    t = serial.table
    assert sorted(t["replication"].unique()) == list(range(REPS))
    sizes = t.groupby("replication").size()
    assert sizes.nunique() == 1, "every replication reports the same rows"
    assert not t.duplicated(["replication", *KEYS]).any()


def test_replications_differ_from_each_other(serial):
    t = serial.table
    days = t[(t["municipality"] == TOTAL) & (t["kpi"] == "ukp_days") & (t["month"] == WHOLE_YEAR)]
    assert days["value"].nunique() == REPS


def test_replication_i_equals_a_single_run(serial, scenario):
    one = single_run(scenario, SEED, 1)
    t = serial.table
    part = t[t["replication"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, one)


def test_jobs_do_not_change_the_results(serial, scenario):
    parallel = run_replications(scenario, REPS, SEED, jobs=2)
    assert parallel.completed == serial.completed
    pd.testing.assert_frame_equal(parallel.table, serial.table)


def test_same_seed_gives_identical_results(serial, scenario):
    again = run_replications(scenario, REPS, SEED, jobs=1)
    pd.testing.assert_frame_equal(again.table, serial.table)


def test_different_seeds_give_different_results(serial, scenario):
    other = run_replications(scenario, REPS, SEED + 1, jobs=1)
    a, b = serial.table, other.table
    pd.testing.assert_frame_equal(a[["replication", *KEYS]], b[["replication", *KEYS]])
    assert not np.allclose(a["value"].to_numpy(), b["value"].to_numpy(), equal_nan=True)

    def days(t):
        return t[(t["municipality"] == TOTAL) & (t["kpi"] == "ukp_days") & (t["month"] == 0)]["value"]

    assert not np.array_equal(days(a).to_numpy(), days(b).to_numpy())


def test_progress_callback_is_called_once_per_replication(scenario):
    ticks = []
    res = run_replications(scenario, 2, SEED, jobs=1, progress=ticks.append)
    assert ticks == [1, 1]
    assert res.completed == [0, 1]


def test_interruption_keeps_the_finished_replications(scenario):
    calls = []

    def progress(step):
        calls.append(step)
        if len(calls) == 2:
            raise KeyboardInterrupt

    res = run_replications(scenario, 3, SEED, jobs=1, progress=progress)
    assert res.interrupted
    assert res.requested == 3
    assert res.completed == [0, 1]
    assert sorted(res.table["replication"].unique()) == [0, 1]


def test_interruption_before_any_replication(scenario, monkeypatch):
    import ukp_sim.analysis.runner as experiment

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "single_run", interrupted)
    res = run_replications(scenario, 2, SEED, jobs=1)
    assert res.interrupted and res.completed == [] and res.table.empty


@pytest.mark.parametrize("n", [0, -1])
def test_replications_must_be_positive(scenario, n):
    with pytest.raises(ValueError):
        run_replications(scenario, n, SEED)


# --------------------------------------------------------------------------------------------
# summarise
# --------------------------------------------------------------------------------------------
def test_summary_columns(summary):
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert (summary["scenario"] == "small").all()


def test_summary_has_one_row_per_key(summary, serial):
    assert not summary.duplicated(KEYS).any()
    keys = serial.table[KEYS].drop_duplicates()
    assert len(summary) == len(keys)


def test_summary_is_sorted(summary):
    order = summary.sort_values(["year", "month", "municipality", "kpi"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(summary, order)


def test_summary_ci_contains_the_mean(summary):
    defined = summary.dropna(subset=["ci_low", "ci_high"])
    assert len(defined) > 0.5 * len(summary)
    assert (defined["ci_low"] <= defined["mean"] + 1e-9).all()
    assert (defined["mean"] <= defined["ci_high"] + 1e-9).all()
    # n counts replications with a value; the CI is undefined only where n < 2
    assert summary["n"].between(0, REPS).all()
    undefined = summary[summary["ci_low"].isna()]
    assert (undefined["n"] < 2).all()
    assert (summary[summary["n"] >= 2]["ci_low"].notna()).all()


def test_summary_mean_and_ci_match_mean_ci(summary, serial):
    t = serial.table
    for muni, kpi in ((TOTAL, "ukp_days"), ("Melhus", "zero_day_share"), ("Trondheim/Øya helsehus", "korttid_los")):
        vals = t[(t["municipality"] == muni) & (t["kpi"] == kpi) & (t["month"] == WHOLE_YEAR)]["value"]
        assert len(vals) == REPS
        row = summary[(summary["municipality"] == muni) & (summary["kpi"] == kpi)
                      & (summary["month"] == WHOLE_YEAR)].iloc[0]
        m, lo, hi, n = mean_ci(vals.to_numpy())
        assert (row["mean"], row["ci_low"], row["ci_high"], row["n"]) == (
            pytest.approx(m), pytest.approx(lo), pytest.approx(hi), n)


def test_summary_targets_and_status(summary):
    targets, rule = load_targets()
    yearly = summary[summary["month"] == WHOLE_YEAR]

    def row(muni, kpi):
        r = yearly[(yearly["municipality"] == muni) & (yearly["kpi"] == kpi)]
        assert len(r) == 1, (muni, kpi)
        return r.iloc[0]

    total_days = row(TOTAL, "ukp_days")
    assert total_days["target"] == targets["ukp_days"].target
    assert total_days["status"] in {"green", "yellow", "red"}
    assert math.isnan(row("Melhus", "ukp_days")["target"]) and row("Melhus", "ukp_days")["status"] == ""
    oya = row("Trondheim/Øya helsehus", "korttid_los")
    assert oya["target"] == targets["korttid_los"].target and oya["status"] in {"green", "yellow", "red"}
    assert math.isnan(row(TOTAL, "korttid_los")["target"]) and row(TOTAL, "korttid_los")["status"] == ""
    assert row("Melhus", "zero_day_share")["target"] == targets["zero_day_share"].target
    # KPIs without a target
    for kpi in ("cost_nok", "ukp_stays", "hospital_occupancy"):
        r = row(TOTAL, kpi)
        assert math.isnan(r["target"]) and r["status"] == ""
    # status agrees with the rule applied to the mean
    with_target = summary[summary["target"].notna()]
    assert len(with_target) > 0
    for r in with_target.itertuples():
        assert r.status == status_of(targets[r.kpi], r.mean, rule)


def status_of(target, value, rule):
    from ukp_sim.config.targets import status
    return status(target, value, rule)


def test_summarise_on_a_hand_made_table():
    table = pd.DataFrame({
        "replication": [0, 1, 2, 0, 1, 2],
        "year": [2022] * 6,
        "month": [0] * 6,
        "municipality": [TOTAL] * 3 + ["Melhus/korttid"] * 3,
        "kpi": ["ukp_days"] * 3 + ["korttid_los"] * 3,
        "value": [1000.0, 1500.0, 2000.0, 10.0, math.nan, 12.0],
    })
    out = summarise(table, "hand")
    assert list(out.columns) == SUMMARY_COLUMNS
    days = out[out["kpi"] == "ukp_days"].iloc[0]
    assert days["mean"] == 1500.0 and days["n"] == 3
    assert days["target"] == 1767 and days["status"] == "green"
    worse = summarise(table.assign(value=table["value"] + 1000), "hand")
    assert worse[worse["kpi"] == "ukp_days"]["status"].tolist() == ["yellow"]  # 2,500: 89 % of the way
    los = out[out["kpi"] == "korttid_los"].iloc[0]
    assert los["mean"] == 11.0 and los["n"] == 2
    assert math.isnan(los["target"]) and los["status"] == ""  # the target is for Øya helsehus only

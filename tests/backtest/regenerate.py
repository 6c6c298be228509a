"""Recompute the back-test's pinned KPIs and write them to ``expected_kpis.csv``.

    python -m tests.backtest.regenerate      (or: make backtest-update)

Run it only when a change to the numbers is intended, and commit the new CSV in a commit of its
own whose message says which numbers moved and why (test_backtest.py explains the rule).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ukp_sim.config.loader import load_scenario
from ukp_sim.kpi import compute_kpis
from ukp_sim.sim.model import Model, build_calendar

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "one_municipality.toml"
EXPECTED = HERE / "expected_kpis.csv"
SEED = 20250101
REPLICATIONS = 2
COLUMNS = ["replication", "year", "month", "municipality", "kpi", "value"]


def backtest_kpis() -> pd.DataFrame:
    """The KPIs (every year, month and place) of ``REPLICATIONS`` replications of the scenario."""
    s = load_scenario(SCENARIO)
    cal = build_calendar(s)
    frames = []
    for rep in range(REPLICATIONS):
        df = compute_kpis(Model(s, SEED, rep).run(), s, cal)
        df.insert(0, "replication", rep)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    return out.sort_values(COLUMNS[:-1], kind="stable").reset_index(drop=True)


def read_expected(path: Path = EXPECTED) -> pd.DataFrame:
    # The CSV holds each float's shortest exact repr; Python's float() reads it back exactly,
    # whatever the CSV parser's own float precision.
    df = pd.read_csv(path, dtype={"value": str}, keep_default_na=False)
    df["value"] = df["value"].map(float)
    return df


def write_expected(df: pd.DataFrame, path: Path = EXPECTED) -> None:
    df.to_csv(path, index=False, lineterminator="\n", na_rep="nan")


def main() -> int:
    df = backtest_kpis()
    old = read_expected() if EXPECTED.exists() else None
    write_expected(df)
    changed = "new file" if old is None else (
        "unchanged" if old.equals(read_expected()) else "CHANGED: commit it on its own, saying why")
    print(f"{EXPECTED.relative_to(Path.cwd()) if EXPECTED.is_relative_to(Path.cwd()) else EXPECTED}: "
          f"{len(df)} rows ({changed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

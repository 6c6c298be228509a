"""Back-test: a fresh run of a small scenario reproduces its pinned KPIs exactly.

``tests/scenarios/one_municipality.toml``, 2 replications with a fixed seed, every KPI per year,
month and place, compared with ``tests/backtest/expected_kpis.csv`` value for value (runs are
deterministic: named random streams seeded from the seed and the replication). Any change to the
model, the random streams, the scenario schema's defaults or the KPI code that moves a number
fails this test, on purpose: the layers of tests that check properties and theory can miss a
small shift, this one cannot.

If the change of numbers is intended (a bug fix, a new mechanism), regenerate the file:

    python -m tests.backtest.regenerate      (or: make backtest-update)

and commit the new CSV in a commit of its own, whose message says which numbers moved and why.
A refactoring must leave this file unchanged.
"""
from __future__ import annotations

import numpy as np

from .regenerate import COLUMNS, EXPECTED, REPLICATIONS, backtest_kpis, read_expected


def test_fresh_run_reproduces_the_pinned_kpis_exactly():
    expected = read_expected()
    assert list(expected.columns) == COLUMNS
    assert set(expected["replication"]) == set(range(REPLICATIONS))
    assert len(expected) > 500 and expected["value"].notna().sum() > 400  # the file is not empty or all NaN
    got = backtest_kpis()
    keys = COLUMNS[:-1]
    assert got[keys].equals(expected[keys].astype(got[keys].dtypes.to_dict())), (
        "the rows (years, months, places, KPIs) differ from the pinned ones")
    a, b = got["value"].to_numpy(), expected["value"].to_numpy()
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if not same.all():
        diff = got.loc[~same, keys].assign(expected=b[~same], got=a[~same])
        raise AssertionError(
            f"{int((~same).sum())} KPI values differ from {EXPECTED.name} (first 15 below). If the change is "
            "intended, run `python -m tests.backtest.regenerate` and commit the CSV on its own with the reason.\n"
            + diff.head(15).to_string())


def test_the_pinned_kpis_are_plausible():
    """A sanity check of the pinned file itself, so that regenerating it from a broken model is
    noticed: one municipality at about 75 % korttid occupancy has UKP-days every year, shares in
    [0, 1], and the two replications differ."""
    e = read_expected()
    whole = e[(e["month"] == 0) & (e["municipality"] == "Total")].pivot_table(
        index=["replication", "year"], columns="kpi", values="value")
    assert (whole["ukp_days"] > 100).all()
    assert (whole["ukp_stays"] > 200).all()
    for k in ("zero_day_share", "straight_home_share", "readmission_30d_share"):
        assert whole[k].between(0, 1).all(), k
    r0, r1 = (whole.xs(r, level="replication")["ukp_days"].to_numpy() for r in (0, 1))
    assert not np.array_equal(r0, r1)

"""Comparing scenarios under common random numbers: paired differences and what a change saves.

Every scenario of a comparison is run with the same seed and the same replications 0..n-1.
Replication ``i`` of each draws from the streams seeded by (seed, i, stream name), so the same
patients arrive on the same days with the same frailty and the same durations (as far as the
scenarios let them): the two results of replication ``i`` are a *pair*. The effect of a change is
estimated from the per-replication differences (other - base), whose spread is much smaller than
that of either scenario because the shared randomness cancels. A scenario compared with itself
gives differences that are exactly 0, and so a confidence interval of exactly [0, 0].
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ukp_sim.analysis.runner import KEYS, key_slices, mean_ci
from ukp_sim.kpi import TOTAL, WHOLE_YEAR

DIFFERENCE_COLUMNS = [*KEYS, "mean_difference", "ci_low", "ci_high", "n", "base_mean", "other_mean",
                      "relative_change"]
# The headline: what a change saves against the baseline (a saving is minus the difference).
SAVINGS = {
    "ukp_days_saved": "ukp_days",
    "cost_saved_nok": "cost_nok",
    "beds_freed": "beds_held_by_ukp_mean",
}
CRN_STATEMENT = (
    "All scenarios are run with the same seed and the same replications 0..n-1. Replication i of every "
    "scenario draws its random numbers from streams seeded by (seed, i, stream name) alone, so the "
    "scenarios share their random numbers replication by replication (common random numbers). A "
    "difference is paired: for each replication, the scenario's value minus the baseline's value; the "
    "table gives the mean of these differences with its 95 % t-interval over the replications (n pairs "
    "where both values exist). relative_change = mean difference / the baseline's mean over the same "
    "pairs. A saving is minus the difference."
)


def paired_differences(base_table: pd.DataFrame, other_table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per (year, month, municipality, kpi): the paired difference other - base over replications.

    Both tables are long replication tables (``replication, year, month, municipality, kpi,
    value``; other columns are ignored). Rows are paired by replication number: run both with the
    same seed so that a pair shares its random numbers. Pairs where either value is missing are
    left out. Columns: ``DIFFERENCE_COLUMNS`` (mean_difference with its ``level`` t-interval
    ci_low..ci_high, n pairs, base_mean and other_mean over those pairs, relative_change =
    mean_difference / base_mean, NaN when base_mean is 0).
    """
    cols = ["replication", *KEYS, "value"]
    merged = base_table[cols].merge(other_table[cols], on=["replication", *KEYS], how="inner",
                                    suffixes=("_base", "_other"), sort=False, validate="one_to_one")
    merged = merged.dropna(subset=["value_base", "value_other"])
    merged["difference"] = merged["value_other"] - merged["value_base"]
    rows = []
    # numpy slices of the rows sorted by key, not pandas groups: a study over worlds asks for this
    # once per world and scenario, with thousands of keys each
    for key, (diff, base, other) in key_slices(merged, ("difference", "value_base", "value_other")):
        mean, lo, hi, n = mean_ci(diff, level)
        base_mean = float(base.mean())
        rows.append((*key, mean, lo, hi, n, base_mean, float(other.mean()),
                     mean / base_mean if base_mean != 0 else math.nan))
    # keys with no complete pair still get a row (n = 0), so every key of the base appears
    seen = set(map(tuple, merged[KEYS].drop_duplicates().itertuples(index=False, name=None)))
    for key in base_table[KEYS].drop_duplicates().itertuples(index=False, name=None):
        if key not in seen:
            rows.append((*key, math.nan, math.nan, math.nan, 0, math.nan, math.nan, math.nan))
    out = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out.sort_values(KEYS, kind="stable", ignore_index=True)


def unpaired_difference(base_values, other_values, level: float = 0.95) -> tuple[float, float, float]:
    """The difference of two independent means with a Welch t-interval (what the comparison would
    give without common random numbers): (mean difference, ci_low, ci_high)."""
    from scipy import stats

    a = np.asarray(base_values, dtype=float)
    b = np.asarray(other_values, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    diff = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df) * se)
    return diff, diff - half, diff + half


def savings(differences: pd.DataFrame, municipality: str = TOTAL) -> pd.DataFrame:
    """The headline of a comparison for a place (default the whole community), per year:
    UKP-days saved, cost saved in NOK and beds freed (minus the paired difference), each with
    its CI. Columns: year, quantity, kpi, mean, ci_low, ci_high, n."""
    d = differences[(differences["municipality"] == municipality) & (differences["month"] == WHOLE_YEAR)]
    rows = []
    for year in sorted(d["year"].unique()):
        for quantity, kpi in SAVINGS.items():
            r = d[(d["year"] == year) & (d["kpi"] == kpi)]
            if r.empty:
                continue
            r = r.iloc[0]
            rows.append({"year": int(year), "quantity": quantity, "kpi": kpi,
                         "mean": _neg(r["mean_difference"]), "ci_low": _neg(r["ci_high"]),
                         "ci_high": _neg(r["ci_low"]), "n": int(r["n"])})
    return pd.DataFrame(rows, columns=["year", "quantity", "kpi", "mean", "ci_low", "ci_high", "n"])


def _neg(x: float) -> float:
    """Minus x, keeping 0 as +0.0 (so a scenario against itself saves 0, not -0)."""
    return 0.0 if x == 0 else -float(x)


def excludes_zero(ci_low: float, ci_high: float) -> bool:
    """True when a confidence interval lies wholly on one side of 0 (a difference the replications
    show; an interval [0, 0] does not count)."""
    if ci_low is None or ci_high is None or math.isnan(ci_low) or math.isnan(ci_high):
        return False
    return ci_low > 0 or ci_high < 0

"""Results over plausible worlds: what a KPI or an effect looks like when the parameters the data
cannot settle are uncertain too, not only the simulation noise.

Every scenario is simulated in each world with replications 0..n-1 of one seed, so replication r
draws the same random numbers in every world and every scenario (common random numbers within a
world, and across worlds). For each scenario x year x municipality x KPI this module gives:

* ``mean``: the mean over all world x replication runs (the worlds are equally likely);
* ``pi_low``/``pi_high``: the 95 % prediction interval, the 2.5th and 97.5th percentiles of
  those runs: where one year's value may fall when we do not know which world is true;
* ``ci_low``/``ci_high``: the mean's 95 % confidence interval, t-based over the worlds' means
  (the worlds are a sample of the plausible region); with one world, over its replications;
* ``var_share_parameters``: the share of the runs' variance due to the worlds (a one-way
  random-effects ANOVA: between-world component over between plus within), so a reader sees
  whether more replications or better data would narrow the interval;
* ``p_target_met``: the share of runs that meet the KPI's target (``ukp_sim/data/targets.toml``).

With one world every figure is the single-world summary's (``runner.summarise``) and the
parameters' variance share is 0. The worlds are chosen to spread over the plausible region
(maximin), not drawn from a posterior, and weigh equally here: the intervals show the range the
data cannot rule out, not a probability.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ukp_sim.analysis.runner import ANNUAL_KPIS, KEYS, ReplicationResult, key_slices, run_many, summarise
from ukp_sim.analysis.worlds import WorldMaker
from ukp_sim.config.loader import build_scenario, deep_merge
from ukp_sim.config.scenario import Scenario
from ukp_sim.config.targets import load_targets, status

WORLD_COLUMNS = ["worlds", "pi_low", "pi_high", "var_share_parameters", "p_target_met"]
CI_STATEMENT = ("over plausible worlds (analysis/over_worlds.py): mean of the worlds' means; its 95 % CI adds the "
                "spread of the worlds' means to the replication noise they share (Welch-Satterthwaite); "
                "pi_low/pi_high: 95 % prediction interval of one run over worlds and replications; differences "
                "paired within a world")


def over_worlds(runs: pd.DataFrame) -> tuple[int, float, float, float, float, float]:
    """Of one quantity's runs (columns ``world``, ``replication``, ``value``; NaN left out): the
    worlds, the mean, its 95 % CI and the variance components (between worlds, within worlds).

    The mean is the mean of the worlds' means. Its standard error adds the spread of the worlds'
    means over W worlds to the replication noise they share: with the same random numbers in
    every world (replication r is common), the worlds' means move together with the noise, which
    their spread therefore misses. The noise is the spread over r of replication r's deviation
    from its world's mean, averaged over the worlds, over R (deviations, so that worlds missing a
    replication do not count as noise). Degrees of freedom by Welch-Satterthwaite. With one world
    this is the t-interval over its replications (``runner.mean_ci``); with one replication there
    is no interval (NaN).

    The variance components come from a two-way layout (world x replication, the replication a
    block, since it is shared): between = (MS_world - MS_residual) / R when every world has the
    same replications; otherwise a one-way layout (which the shared noise biases towards 0).
    Within is the pooled variance of a run about its world's mean: one year's spread in a world."""
    return over_world_arrays(runs["world"].to_numpy(), runs["replication"].to_numpy(),
                             runs["value"].to_numpy(dtype=float))


def over_world_arrays(world: np.ndarray, replication: np.ndarray,
                      value: np.ndarray) -> tuple[int, float, float, float, float, float]:
    """``over_worlds`` on the columns as arrays. numpy throughout: a study asks once per scenario,
    year, municipality and KPI (tens of thousands of times over 30 worlds), where pandas' groupby
    and pivot cost minutes."""
    ok = ~np.isnan(value)
    v = value[ok]
    if v.size == 0:
        return 0, math.nan, math.nan, math.nan, math.nan, math.nan
    worlds, wi = np.unique(world[ok], return_inverse=True)
    reps, ri = np.unique(replication[ok], return_inverse=True)
    w, r = worlds.size, reps.size
    counts = np.bincount(wi, minlength=w).astype(float)
    means = np.bincount(wi, v, minlength=w) / counts
    deviation = v - means[wi]
    ss = np.bincount(wi, deviation ** 2, minlength=w)
    var = np.where(counts > 1, ss / np.maximum(counts - 1, 1), 0.0)
    mean = float(means.mean())
    across = np.bincount(ri, deviation, minlength=r) / np.bincount(ri, minlength=r)  # replication r's shared noise
    half = math.nan
    if r > 1:
        parts = [(float(means.var(ddof=1)) / w, w - 1)] if w > 1 else []
        parts.append((float(across.var(ddof=1)) / r, r - 1))
        se2 = sum(x for x, _ in parts)
        if se2 > 0:
            dof = parts[0][1] if len(parts) == 1 else se2 ** 2 / sum(x ** 2 / d for x, d in parts if x > 0)
            half = float(stats.t.ppf(0.975, dof) * math.sqrt(se2))
        else:
            half = 0.0
    dof_within = float((counts - 1).sum())
    within = float(((counts - 1) * var).sum() / dof_within) if dof_within > 0 else math.nan
    between = 0.0
    if w > 1:
        grid = np.full(w * r, np.nan)
        cell, first = np.unique(wi * r + ri, return_index=True)  # a pair's first value, as pivot's "first"
        grid[cell] = v[first]
        grid = grid.reshape(w, r)
        if r > 1 and not np.isnan(grid).any():  # balanced: two-way, the replication as a block
            x = grid
            resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
            ms_world = r * float(((x.mean(axis=1) - x.mean()) ** 2).sum()) / (w - 1)
            ms_resid = float((resid ** 2).sum()) / ((w - 1) * (r - 1))
            between = max(0.0, (ms_world - ms_resid) / r)
        elif dof_within > 0:
            n = float(counts.sum())
            n0 = (n - float((counts ** 2).sum()) / n) / (w - 1)  # the unbalanced design's n
            msb = float((counts * (means - float(v.mean())) ** 2).sum() / (w - 1))
            between = max(0.0, (msb - within) / n0)
        else:
            between = math.nan
    return w, mean, mean - half, mean + half, between, within


def summarise_over_worlds(table: pd.DataFrame, scenario_name: str) -> pd.DataFrame:
    """``runner.summarise`` of a table with a ``world`` column, plus ``WORLD_COLUMNS``; with more
    than one world the mean's CI is over the worlds' means (see the module's docstring)."""
    if "world" not in table.columns:
        table = table.assign(world=1)
    out = summarise(table, scenario_name)
    targets, rule = load_targets()
    # ``worlds`` is the worlds the scenario ran in; ``n`` says how many runs gave the KPI a value
    # (none in a unit after it closed, fewer where a small municipality had no delayed stay)
    ran_in = int(table["world"].nunique())
    rows = {}
    for key, (world, rep, value) in key_slices(table, ("world", "replication", "value")):
        w, grand, lo_ci, hi_ci, between, within = over_world_arrays(world, rep, value)
        v = value[~np.isnan(value)]
        if w == 0:
            rows[key] = (ran_in, *[math.nan] * 7)
            continue
        lo, hi = np.percentile(v, [2.5, 97.5])
        total = between + within
        share = between / total if total > 0 else (0.0 if total == 0 else math.nan)
        year, month, muni, kpi = key
        t = targets.get(kpi)
        applies = t is not None and t.applies_to(muni) and not (month != 0 and kpi in ANNUAL_KPIS)
        p = float(np.mean([t.met(x) for x in v])) if applies else math.nan
        rows[key] = (ran_in, float(lo), float(hi), share, p, grand, lo_ci, hi_ci)
    extra = pd.DataFrame([(*k, *r) for k, r in rows.items()],
                         columns=[*KEYS, *WORLD_COLUMNS, "_mean", "_ci_low", "_ci_high"])
    out = out.merge(extra, on=KEYS, how="left", validate="one_to_one")
    many = out["worlds"] > 1
    for col in ("mean", "ci_low", "ci_high"):
        out.loc[many, col] = out.loc[many, f"_{col}"]
    for i in np.flatnonzero(many.to_numpy() & out["target"].notna().to_numpy()):
        t = targets[out.at[i, "kpi"]]  # a target applies here, so the KPI has one
        out.at[i, "status"] = status(t, out.at[i, "mean"], rule)
        out.at[i, "attainment"] = t.attainment(out.at[i, "mean"])
    return out.drop(columns=["_mean", "_ci_low", "_ci_high"])


DIFFERENCE_WORLD_COLUMNS = ["worlds", "pi_low", "pi_high", "share_worlds_better", "share_worlds_worse"]
# KPIs without a strategy target that still have a better side: fewer kroner, fewer beds held.
LOWER_IS_BETTER = {"cost_nok", "beds_held_by_ukp_mean"}


def better_direction(kpi: str) -> int:
    """-1 where a lower value is better, +1 where higher is, 0 where neither (e.g. occupancy)."""
    targets, _ = load_targets()
    t = targets.get(kpi)
    if t is not None:
        return -1 if t.direction == "<=" else 1
    return -1 if kpi in LOWER_IS_BETTER else 0


def paired_differences_over_worlds(base_table: pd.DataFrame, other_table: pd.DataFrame) -> pd.DataFrame:
    """``compare.paired_differences`` (other - base) in each world, then over the worlds: the mean
    of the worlds' mean differences with its t-interval over worlds (one world: over its pairs),
    the 95 % prediction interval of one year's difference over all pairs, and the shares of
    worlds whose own 95 % CI lies wholly on the better / the worse side of 0 (sign stability)."""
    from ukp_sim.analysis.compare import DIFFERENCE_COLUMNS, paired_differences

    if "world" not in base_table.columns:
        base_table, other_table = base_table.assign(world=1), other_table.assign(world=1)
    per_world = []
    for w, b in base_table.groupby("world", sort=True):
        d = paired_differences(b, other_table[other_table["world"] == w])
        per_world.append(d.assign(world=w))
    pw = pd.concat(per_world, ignore_index=True)
    ran_in = len(per_world)  # the worlds both scenarios ran in (``worlds``; ``n`` counts the pairs)
    cols = ["world", "replication", *KEYS, "value"]
    pairs = base_table[cols].merge(other_table[cols], on=["world", "replication", *KEYS], suffixes=("_b", "_o"))
    pairs["difference"] = pairs["value_o"] - pairs["value_b"]
    pairs = pairs.dropna(subset=["difference"]).rename(columns={"difference": "value"})
    by_key = dict(key_slices(pairs, ("world", "replication", "value")))
    rows = []
    stats_cols = ("n", "mean_difference", "ci_low", "ci_high", "base_mean", "other_mean")
    for key, (n, m_diff, c_lo, c_hi, b_mean, o_mean) in key_slices(pw, stats_cols):
        has = n > 0
        if key not in by_key or not has.any():
            rows.append((*key, math.nan, math.nan, math.nan, 0, math.nan, math.nan, math.nan, ran_in, *[math.nan] * 4))
            continue
        n, m_diff, c_lo, c_hi, b_mean, o_mean = (a[has] for a in (n, m_diff, c_lo, c_hi, b_mean, o_mean))
        world, rep, value = by_key[key]
        w, mean, lo, hi, _, _ = over_world_arrays(world, rep, value)
        if w == 1:  # one world: compare.paired_differences' own figures, to the last digit
            mean, lo, hi = float(m_diff[0]), float(c_lo[0]), float(c_hi[0])
        p_lo, p_hi = np.percentile(value, [2.5, 97.5])
        base_mean = float((b_mean * n).sum() / n.sum())
        other_mean = float((o_mean * n).sum() / n.sum())
        sign = better_direction(key[3])
        if sign == 0:
            better = worse = math.nan
        else:
            # a world whose CI is exactly [0, 0] (the scenario against itself) is on neither side
            if np.isnan(c_lo).all():  # one replication a world: no world can be judged
                better = worse = math.nan
            else:
                up, down = float((c_lo > 0).mean()), float((c_hi < 0).mean())
                better, worse = (up, down) if sign > 0 else (down, up)
        n = int(n.sum())
        rows.append((*key, mean, lo, hi, n, base_mean, other_mean,
                     mean / base_mean if base_mean != 0 else math.nan, ran_in, float(p_lo), float(p_hi), better,
                     worse))
    out = pd.DataFrame(rows, columns=[*DIFFERENCE_COLUMNS, *DIFFERENCE_WORLD_COLUMNS])
    return out.sort_values(KEYS, kind="stable", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Running scenarios in every world
# ---------------------------------------------------------------------------------------------
def world_scenarios(maker: WorldMaker, files: dict[str, Path], period: dict | None = None,
                    ) -> dict[tuple[str, int], Scenario]:
    """Every scenario file in every world of ``maker``, keyed (scenario id, world number); with
    ``period`` (a study's) in place of each file's own."""
    out = {}
    for k, world in enumerate(maker.worlds.ids):
        for sid, file in files.items():
            data, read, provenance = maker.scenario_data(file, k)
            if period is not None:
                data["period"] = deep_merge({}, period)
            out[sid, world] = build_scenario(data, file, read, provenance)
    return out


def run_over_worlds(scenarios: dict[tuple[str, int], Scenario], replications: int, seed: int, jobs=1,
                    progress=None) -> dict[str, ReplicationResult]:
    """Replications 0..n-1 of every (scenario, world) with one seed: replication r draws the same
    random numbers in every scenario and world. Per scenario id, one table with a ``world``
    column, kept to the replications every scenario finished in every world (so a Ctrl-C leaves
    complete pairs and equally weighted worlds)."""
    done = run_many(scenarios, range(replications), seed, jobs, progress)
    common = sorted(set.intersection(*(set(r.completed) for r in done.values())))
    interrupted = any(r.interrupted for r in done.values())
    out: dict[str, ReplicationResult] = {}
    for sid in dict.fromkeys(s for s, _ in scenarios):
        parts = [r.table.assign(world=w) for (s, w), r in done.items() if s == sid and not r.table.empty]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if not table.empty:
            table = table[table["replication"].isin(common)].reset_index(drop=True)
        out[sid] = ReplicationResult(table, replications, common, interrupted)
    return out

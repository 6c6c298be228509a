"""The ensemble of plausible worlds: parameter sets that all reproduce the observed figures,
chosen to span the plausible region (not the neighbours of the best), and what their UKP wait for.

The yearly figures cannot tell apart worlds where UKP wait for a decision and worlds where they
wait for a bed or a home-service start; an answer that depends on which is true must be given
over all of them. The worlds are picked by greedy maximin in the unit cube of the prior box
(each next world the plausible candidate farthest from those already picked: Johnson, Moore &
Ylvisaker 1990), starting from the best. Each world is then simulated again, with the same seeds,
for its fit and its bottleneck mix: the share of UKP-days spent waiting for the municipal
decision and planning, a korttid bed, a home-service start and reception (KPI ``wait_share_*``),
for the community, Trondheim, Melhus, Malvik and the other municipalities together.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ukp_sim.analysis.calibration_core import (
    HistoryMatch,
    _target_values,
    implausibility,
    maximin,
    simulate_candidates,
    year_distance,
)
from ukp_sim.analysis.calibration_params import apply_parameters
from ukp_sim.analysis.ensemble_balance import balance
from ukp_sim.analysis.ensemble_joint import Joint, Trade, most_together, trades
from ukp_sim.base.vocabulary import TOTAL, WHOLE_YEAR

SHARES = {"share_decision": "wait_share_decision", "share_bed": "wait_share_bed",
          "share_home_intake": "wait_share_home_intake", "share_reception": "wait_share_reception"}
OTHERS = "Others"


def groups_of(named: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The groups a bottleneck mix is given for: the community, its named municipalities (the
    scenario's ``community.groups``, those with observed figures of their own) and the others."""
    return (TOTAL, *named, OTHERS)


@dataclass(frozen=True)
class JointRecord:
    """What the mean of any ``k`` of the judged plausible worlds can meet together (exact), and
    what each target it leaves unmet would cost (``ensemble_joint``); target indices are into ``used``."""
    joint: Joint
    trades: list[Trade]
    used: list  # the weighted targets, in the programme's order
    worlds: int  # judged plausible worlds chosen among
    maximin_kept: int  # of the maximin picks, how many the choice keeps


def _unit(hm: HistoryMatch, points: np.ndarray) -> np.ndarray:
    """``points`` in the unit cube of the prior box (where maximin measures distance)."""
    lo = np.array([p.low for p in hm.params])
    hi = np.array([p.high for p in hm.params])
    return (points - lo) / (hi - lo)


def choose_worlds(hm: HistoryMatch, k: int, balanced: bool = False) -> np.ndarray:
    """Indices of up to ``k`` candidates that span the plausible region: the best first, then each
    time the plausible candidate whose nearest chosen one is farthest (unit cube of the priors).
    With ``balanced``, worlds are then swapped for other plausible ones until the ensemble's mean
    meets the targets as far as it can (``ensemble_balance``; the record lands in ``hm.balance``)."""
    pool = hm.not_implausible
    if pool.size == 0:  # nothing plausible: the k least implausible, flagged in the table
        pool = np.argsort(hm.max_impl)[:k]
    pool = np.concatenate([[hm.best], pool[pool != hm.best]])
    unit = _unit(hm, hm.points)
    chosen = pool[maximin(unit[pool], k, distinct=True)]
    if balanced and hm.any_plausible:
        used = [i for i, t in enumerate(hm.targets) if t.weight > 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a candidate with no finite value of a target
            means = np.nanmean(hm.sims[:, :, used], axis=1)
        tg = [hm.targets[i] for i in used]
        hm.balance = balance(chosen, pool, means, unit, np.array([t.observed for t in tg]),
                             np.array([t.tolerance for t in tg]), np.array([t.weight for t in tg], dtype=float))
        chosen = hm.balance.chosen
    return chosen


def judge_pool(hm: HistoryMatch, cap: int) -> np.ndarray:
    """The candidates to simulate again with the ensemble's replications before the worlds are
    chosen: the best and every other candidate not ruled out, the least implausible first, at most
    ``cap``. Choosing and balancing on the search's few replications favours worlds whose few
    years came out near the targets by chance (``ensemble_balance``)."""
    pool = hm.not_implausible[np.argsort(hm.max_impl[hm.not_implausible], kind="stable")]
    return np.concatenate([[hm.best], pool[pool != hm.best]])[:cap]


def choose_judged(hm: HistoryMatch, pool: np.ndarray, table: pd.DataFrame, k: int) -> np.ndarray | None:
    """Rows of ``table`` (``simulate_ensemble`` of ``pool``) for up to ``k`` worlds: the best of
    those still plausible with its replications (``ensemble_best``) first, then maximin among
    them; then the exact choice that meets the most targets together keeping as many maximin
    picks as it can (``ensemble_joint``; the record, with what each target left unmet would cost,
    lands in ``hm.joint``), balanced on their means (the record lands in ``hm.balance``), in
    ``spread_order`` from the best; None if no world is plausible."""
    ok = np.flatnonzero(table["plausible"].to_numpy(dtype=bool))
    if ok.size == 0:
        return None
    first = ensemble_best(table, hm.targets)
    ok = np.concatenate([[first], ok[ok != first]])
    unit = _unit(hm, hm.points[pool])
    picks = maximin(unit[ok], k, distinct=True)
    chosen = ok[picks]
    used = [t for t in hm.targets if t.weight > 0]
    means = np.column_stack([table[f"fit:{t.label}"].to_numpy(dtype=float) for t in used])
    obs, tol = np.array([t.observed for t in used]), np.array([t.tolerance for t in used])
    w = np.array([t.weight for t in used], dtype=float)
    joint = most_together(means[ok], obs, tol, w, len(chosen), keep=0, prefer=picks)
    if joint is not None:
        chosen = ok[joint.chosen]
        hm.joint = JointRecord(joint, trades(means[ok], obs, tol, w, len(chosen), joint), used, int(ok.size),
                               len(set(joint.chosen.tolist()) & set(picks.tolist())))
    met = np.abs(means[first] - obs) <= tol  # the baseline, alone: what one world gives up to meet what it misses
    alone = Joint(np.array([0]), met, float(w @ met), True)
    hm.joint_one = JointRecord(alone, trades(means[ok], obs, tol, w, 1, alone, keep=None), used, int(ok.size), 1)
    hm.balance = balance(chosen, ok, means, unit, obs, tol, w, replications=int(table["replications"].iloc[0]))
    return hm.balance.chosen[spread_order(unit[hm.balance.chosen])]


def spread_order(unit: np.ndarray) -> np.ndarray:
    """An order of the rows of ``unit`` (worlds in the prior box scaled to 0–1): from row 0, each
    next the row farthest from its nearest one already taken (``maximin`` over all of them), so
    world 2 is the one least like the baseline and any first n worlds spread out; the chosen set
    does not depend on this order, the world numbers do."""
    return maximin(unit, len(unit))


def ensemble_of(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The judged pool's ``rows`` as the ensemble, in that order, numbered from world 1."""
    out = table.iloc[rows].reset_index(drop=True)
    out["world"] = np.arange(1, len(out) + 1)
    return out


def _within(table: pd.DataFrame, tg, rows: np.ndarray | None = None) -> np.ndarray:
    """Whether each world's (of ``rows``) mean over its replications meets target ``tg`` within its tolerance."""
    v = table[f"fit:{tg.label}"].to_numpy(dtype=float)
    return np.abs((v if rows is None else v[rows]) - tg.observed) <= tg.tolerance


def reach(table: pd.DataFrame, targets, k: int) -> list[dict]:
    """What the worlds still plausible in the judged pool (``table``) can meet, per weighted target:
    how many meet it within its tolerance, how many meet it together with the community's UKP-days
    (the headline), and the lowest and highest mean any ``k`` of them can have on it (the means of
    its ``k`` smallest and ``k`` largest values). A target whose tolerance band lies outside that
    range cannot be met by the mean of an ensemble of ``k`` plausible worlds; one no world meets
    together with the headline cannot be met by a baseline that meets the headline."""
    ok = table["plausible"].to_numpy(dtype=bool)
    used = [tg for tg in targets if tg.weight > 0]
    head = next((tg for tg in used if tg.kpi == "ukp_days" and tg.municipality == TOTAL), None)

    with_head = _within(table, head, ok) if head is not None else np.ones(int(ok.sum()), dtype=bool)
    out = []
    for tg in used:
        v = np.sort(table[f"fit:{tg.label}"].to_numpy(dtype=float)[ok])
        n = min(k, v.size)
        low = float(v[:n].mean()) if n else float("nan")
        high = float(v[v.size - n:].mean()) if n else float("nan")
        m = _within(table, tg, ok)
        out.append({"target": tg, "worlds": int(ok.sum()), "meet": int(m.sum()),
                    "with_headline": int((m & with_head).sum()), "lowest_mean": low, "highest_mean": high,
                    "k": n, "reachable": bool(low <= tg.observed + tg.tolerance
                                              and high >= tg.observed - tg.tolerance)})
    return out


def most_met(table: pd.DataFrame, targets) -> tuple[int, int, int]:
    """Over the worlds still plausible in the judged pool: how many meet every weighted target
    within its tolerance, the most targets any one meets, and the number of weighted targets."""
    ok = table["plausible"].to_numpy(dtype=bool)
    used = [tg for tg in targets if tg.weight > 0]
    if not ok.any() or not used:
        return 0, 0, len(used)
    met = sum(_within(table, tg, ok).astype(int) for tg in used)
    return int((met == len(used)).sum()), int(met.max()), len(used)


def mean_bias(ensemble: pd.DataFrame, targets) -> np.ndarray:
    """Each world's weighted squared error of its mean (over the ensemble's replications) against
    the observed figures, in units of half the tolerance: how well a many-replication run of the
    world reproduces the targets (a single year's scatter is judged by the implausibility): the
    search's ``year_distance`` of the means, as if each were one replication."""
    used = [t for t in targets if t.weight > 0]  # a target reported only (weight 0) may be NaN
    means = np.column_stack([ensemble[f"fit:{t.label}"].to_numpy(dtype=float) for t in used])
    return year_distance(means[:, None, :], used)


def targets_met(ensemble: pd.DataFrame, targets) -> np.ndarray:
    """Each world's weighted count of the targets whose mean (over the ensemble's replications)
    lies within the tolerance: what the fit report counts, the community's UKP-days counting most."""
    used = [t for t in targets if t.weight > 0]
    met = [_within(ensemble, t) for t in used]
    return np.array([t.weight for t in used], dtype=float) @ np.array(met, dtype=float)


def ensemble_best(ensemble: pd.DataFrame, targets) -> int | None:
    """Row of the ensemble's best world: among the worlds still plausible with the ensemble's
    replications, the one meeting the most targets (weighted, ``targets_met``), and of those the
    smallest ``mean_bias``; None if none is plausible (the search's best stays).

    Meeting comes first because the squared error alone lets one target with a narrow band (Malvik's
    98 ± 10 days in 2023) outweigh the community's total: the fourth calibration chose a 2023
    world 5.6 % off the community with 12 of 15 met over one 2.4 % off with 13. The search ranks
    candidates with few replications, and its polish moves on 4; the ensemble simulates every world
    with as many as the fit report's, so the baseline is chosen there."""
    ok = np.flatnonzero(ensemble["plausible"].to_numpy(dtype=bool))
    if ok.size == 0:
        return None
    met, bias = targets_met(ensemble, targets)[ok], mean_bias(ensemble, targets)[ok]
    return int(ok[np.lexsort((bias, -met))[0]])


def put_first(ensemble: pd.DataFrame, row: int) -> pd.DataFrame:
    """The ensemble with ``row`` as world 1 and the others after it in their order, renumbered."""
    order = [row] + [i for i in range(len(ensemble)) if i != row]
    out = ensemble.iloc[order].reset_index(drop=True)
    out["world"] = np.arange(1, len(out) + 1)
    return out


def bottleneck_values(table: pd.DataFrame, year: int, named: tuple[str, ...]) -> np.ndarray:
    """The four wait shares for each group of ``groups_of(named)`` (group-major) from one replication's KPI
    table. The other municipalities' share pools theirs, weighted by their UKP-days of the stays
    discharged in the year (mean_ukp_stay_all x ukp_stays: the shares' own denominator)."""
    t = table[(table["month"] == WHOLE_YEAR) & (table["year"] == year)]
    wide = t.pivot_table(index="municipality", columns="kpi", values="value", aggfunc="first")
    out = []
    for g in groups_of(named):
        if g == OTHERS:
            rest = wide.drop(index=[TOTAL, *named], errors="ignore")
            rest = rest[~rest.index.str.contains("/")]
            days = (rest["mean_ukp_stay_all"] * rest["ukp_stays"]).fillna(0.0)
            total = days.sum()
            out.extend(float((rest[k].fillna(0.0) * days).sum() / total) if total > 0 else np.nan
                       for k in SHARES.values())
        elif g in wide.index:
            out.extend(float(wide.at[g, k]) for k in SHARES.values())
        else:
            out.extend([np.nan] * len(SHARES))
    return np.array(out)


def simulate_ensemble(hm: HistoryMatch, worlds: np.ndarray, data: dict, path: Path, seed: int, reps: int,
                      jobs, progress=None) -> pd.DataFrame:
    """One row per world: its parameters, its fit (mean of each target over ``reps`` replications
    with the calibration's seeds), its implausibility and its bottleneck mix."""
    keys = [(t.year, t.municipality, t.kpi) for t in hm.targets]
    n_t = len(keys)

    from ukp_sim.config.loader import build_scenario

    named = tuple(build_scenario(data, path).community.groups)

    def extract(table):
        return np.concatenate([_target_values(table, keys), bottleneck_values(table, hm.year, named)])

    cands = [apply_parameters(data, hm.params, hm.points[i]) for i in worlds]
    bar = (lambda k: progress(f"{hm.year} ensemble", k, len(cands) * reps)) if progress else None
    sims = simulate_candidates(cands, path, hm.targets, seed, reps, jobs, bar, extract=extract)
    active = np.array([t.weight > 0 for t in hm.targets])
    impl = implausibility(sims[:, :, :n_t], hm.targets, hm.discrepancy, hm.one_year)
    with warnings.catch_warnings():  # a group the community lacks (no Trondheim) is NaN in every replication
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(sims, axis=1)
    rows = []
    for w, i in enumerate(worlds):
        row = {"world": w + 1, "candidate": int(i), "wave": int(hm.wave[i]),
               "max_implausibility": float(impl[w, active].max()),
               "plausible": bool(impl[w, active].max() <= hm.cutoff), "replications": reps}
        row.update({p.name: float(hm.points[i, j]) for j, p in enumerate(hm.params)})
        for g_i, g in enumerate(groups_of(named)):
            for s_i, name in enumerate(SHARES):
                col = name if g == TOTAL else f"{g}:{name}"
                row[col] = float(means[w, n_t + g_i * len(SHARES) + s_i])
        row.update({f"fit:{t.label}": float(means[w, k]) for k, t in enumerate(hm.targets)})
        rows.append(row)
    return pd.DataFrame(rows)


def bound_flags(hm: HistoryMatch, margin: float = 0.05) -> list[dict]:
    """Parameters whose range over the plausible candidates comes within ``margin`` of the prior
    range's ends: there the prior or the model's structure may be what stops the fit."""
    ok = hm.not_implausible
    if ok.size == 0:
        return []
    out = []
    for j, p in enumerate(hm.params):
        v = hm.points[ok, j]
        width = p.high - p.low
        low_hit = v.min() <= p.low + margin * width
        high_hit = v.max() >= p.high - margin * width
        if low_hit or high_hit:
            out.append({"parameter": p.name, "low": p.low, "high": p.high, "plausible_min": float(v.min()),
                        "plausible_max": float(v.max()), "touches": "both" if low_hit and high_hit else
                        ("low" if low_hit else "high")})
    return out


def table_groups(table: pd.DataFrame) -> tuple[str, ...]:
    """The groups an ensemble table has bottleneck shares for, in its column order."""
    named = [c.split(":")[0] for c in table.columns if c.endswith(":share_decision") and not c.startswith(OTHERS)]
    return groups_of(named)


def share_spread(table: pd.DataFrame) -> pd.DataFrame:
    """Min, median and max of every bottleneck share over the worlds, per group."""
    rows = []
    for g in table_groups(table):
        for name in SHARES:
            col = name if g == TOTAL else f"{g}:{name}"
            v = table[col].dropna()
            if len(v):
                rows.append({"group": g, "share": name, "min": v.min(), "median": v.median(), "max": v.max()})
    return pd.DataFrame(rows)


def target_tradeoffs(hm: HistoryMatch) -> list[dict]:
    """For each fitted target: how many candidates meet it (implausibility within the cut-off),
    how many meet every other fitted target, and, among those, the best this target gets. A target
    met by many candidates but never together with the others is in conflict with them; one that
    no candidate meets is out of the model's (or the prior's) reach."""
    active = np.array([t.weight > 0 for t in hm.targets])
    ok = hm.impl <= hm.cutoff
    out = []
    for k, t in enumerate(hm.targets):
        if not active[k]:
            continue
        others = active.copy()
        others[k] = False
        rest = ok[:, others].all(axis=1)
        # the other target it is least often met together with (the sharpest pairwise conflict)
        both = (ok[:, [k]] & ok[:, others]).sum(axis=0)
        partner, joint = None, 0
        if others.any() and ok[:, k].any():
            j = int(np.argmin(both))
            partner, joint = [hm.targets[i] for i in np.flatnonzero(others)][j], int(both[j])
        out.append({"target": t, "meet_it": int(ok[:, k].sum()), "meet_others": int(rest.sum()),
                    "best_given_others": float(hm.impl[rest, k].min()) if rest.any() else np.nan,
                    "candidates": len(hm.points), "partner": partner, "joint": joint})
    return out


def community_split(hm: HistoryMatch) -> dict | None:
    """How the candidates that meet the community's UKP-days share them out: the UKP-days left to
    the municipalities without a target of their own (community minus the named ones' means), and
    for each named municipality the most it gets and how many meet its target as well. Where the
    observed figures leave the others far less than any such candidate gives them, the named
    municipalities' targets cannot be met together with the community's (the report says so)."""
    days = {t.municipality: k for k, t in enumerate(hm.targets) if t.kpi == "ukp_days" and t.weight > 0}
    if "Total" not in days or len(days) < 2:
        return None
    ok = hm.impl <= hm.cutoff
    total_ok = ok[:, days["Total"]]
    if not total_ok.any():
        return {"n": 0}
    with np.errstate(all="ignore"):
        means = np.nanmean(hm.sims[total_ok], axis=1)  # [candidate, target]
    named = [m for m in days if m != "Total"]
    others = means[:, days["Total"]] - means[:, [days[m] for m in named]].sum(axis=1)
    return {"n": int(total_ok.sum()), "others": (float(others.min()), float(np.median(others)), float(others.max())),
            "named": {m: {"max": float(means[:, days[m]].max()), "both": int((total_ok & ok[:, days[m]]).sum()),
                          "target": hm.targets[days[m]]} for m in named}}

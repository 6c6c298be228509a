"""The standard study: the calibrated 2023 baseline against each intervention and the combined
strategy, year by year through 2026, under common random numbers.

A study file (``experiments/standard_study.toml``) names the baseline, the scenarios (intervention
id -> scenario file) and one reporting period that replaces every scenario's own ``[period]``, so
all scenarios simulate the same days from the same warm-up. The period starts in 2023, the
calibrated year, when no intervention has started: every scenario then reproduces the 2023
baseline, and 2024-2026 carry on from that simulated 2023 state. This module runs the study and
turns the replications into the tidy tables the report and the figures read; it writes nothing.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ukp_sim.analysis.compare import paired_differences
from ukp_sim.analysis.over_worlds import DIFFERENCE_WORLD_COLUMNS, WORLD_COLUMNS
from ukp_sim.analysis.precision import DEFAULT_PRECISION_KPIS, run_to_precision
from ukp_sim.analysis.runner import ReplicationResult, mean_ci, run_many, summarise
from ukp_sim.base.vocabulary import REPORT_ORDER as SCENARIOS
from ukp_sim.config.study_file import BASELINE, StudySpec, load_study, load_with_period  # noqa: F401  (re-exported)
from ukp_sim.kpi import TOTAL, WHOLE_YEAR

KPI_COLUMNS = ["scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target",
               "attainment", "status", "milestone"]
MONTHLY_COLUMNS = ["scenario", "year", "month", "municipality", "kpi", "mean", "ci_low", "ci_high", "n"]
DIFF_COLUMNS = ["scenario", "baseline", "year", "municipality", "kpi", "mean_difference", "ci_low", "ci_high", "n",
                "base_mean", "other_mean", "relative_change"]
SAVING_COLUMNS = ["scenario", "period", "quantity", "mean", "ci_low", "ci_high", "n"]
# Over plausible worlds (``--worlds``) the tables gain analysis/over_worlds.py's columns.
WORLD_SAVING_COLUMNS = ["worlds", "pi_low", "pi_high"]
# Monthly series kept for the figures (whole community and municipalities, not units).
MONTHLY_KPIS = ("ukp_days", "beds_held_by_ukp_mean", "korttid_beds_occupied", "zero_day_share", "mean_ukp_stay")
# What a scenario saves against the baseline over a span of years: per replication, the sum of the
# yearly values (days, kroner) or their mean (beds), then the paired difference.
SAVINGS_OVER_YEARS = {"ukp_days_saved": ("ukp_days", "sum"), "cost_saved_nok": ("cost_nok", "sum"),
                      "beds_freed": ("beds_held_by_ukp_mean", "mean")}
MILESTONE_RULE = (
    "The strategy's milestones (ASU, 6 Sept 2023): at least 50 % of the way from the baseline to the target "
    "after one year and 100 % after two, counted from autumn 2023. The study reads them as calendar years: "
    "milestone 0.5 for 2024 and 1.0 for 2025 and later; 2023 is the baseline year (no milestone)."
)
def milestone(year: int, first_year: int) -> float:
    """The attainment the strategy expects by the end of ``year`` (see MILESTONE_RULE)."""
    if year <= first_year:
        return math.nan
    return 0.5 if year == first_year + 1 else 1.0


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
@dataclass
class StudyRun:
    spec: StudySpec
    results: dict[str, ReplicationResult]
    replications: list[int]  # the replications every scenario completed (the pairs)
    interrupted: bool
    precision: object | None  # PrecisionResult when run to a precision
    seconds: float
    worlds: tuple[int, ...] = ()  # the plausible worlds every scenario ran in (empty: the baseline's alone)
    worlds_file: object = None  # the ensemble they come from
    world_parameters: tuple[str, ...] = ()  # the calibrated parameters and drawn effects that tell the worlds apart ...
    world_points: object = None  # ... and their values, [world, parameter] (numpy)
    maker: object = None  # the WorldMaker the scenarios were put into the worlds with
    jobs: int = 1  # worker processes (the sensitivity's emulators use them too)


def run_study(spec: StudySpec, jobs: int = 1, replications: int | None = None,
              progress: Callable[[int], None] | None = None,
              on_batch: Callable[[int], None] | None = None, worlds=None) -> StudyRun:
    """Run every scenario of the study with the study's seed and replications 0..n-1 (common
    random numbers), or to the study's precision. With ``worlds`` (a ``WorldMaker``) every
    scenario runs in each plausible world with those replications (no precision mode: the
    worlds must weigh equally). Ctrl-C keeps the replications every scenario finished."""
    import time

    started = time.time()
    workers = jobs if isinstance(jobs, int) else jobs.jobs  # ``jobs`` may be a Runner
    pres = None
    if worlds is not None:
        from ukp_sim.analysis.over_worlds import run_over_worlds, world_scenarios

        n = replications or spec.replications
        if on_batch:
            on_batch(n * len(worlds.worlds))
        results = run_over_worlds(world_scenarios(worlds, spec.files, spec.period), n, spec.seed, jobs, progress)
    elif spec.precision is not None and replications is None:
        p = spec.precision
        pres = run_to_precision(spec.scenarios, spec.seed, p["share"], p["kpis"] or DEFAULT_PRECISION_KPIS,
                                p["min"], p["max"], jobs,
                                progress, on_batch)
        results = pres.results
    else:
        n = replications or spec.replications
        if on_batch:
            on_batch(n)
        results = run_many(spec.scenarios, range(n), spec.seed, jobs, progress)
    common = sorted(set.intersection(*(set(r.completed) for r in results.values())))
    interrupted = any(r.interrupted for r in results.values())
    for sid, r in results.items():
        if r.completed != common and not r.table.empty:
            r.table = r.table[r.table["replication"].isin(common)].reset_index(drop=True)
            r.completed = common
    if worlds is None:
        return StudyRun(spec, results, common, interrupted, pres, time.time() - started, jobs=workers)
    ws = worlds.worlds
    names, points = worlds.points()
    return StudyRun(spec, results, common, interrupted, pres, time.time() - started, ws.ids, ws.file,
                    tuple(names), points, worlds, workers)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
@dataclass
class StudyTables:
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    differences: pd.DataFrame
    savings: pd.DataFrame
    replications: pd.DataFrame
    sensitivity: pd.DataFrame | None = None  # over worlds: what explains the answers' spread


def order_scenarios(ids) -> list[str]:
    """Study order: the standard ids first in report order, any others after, baseline first."""
    ids = list(dict.fromkeys(ids))
    known = [s for s in SCENARIOS if s in ids]
    return known + [s for s in ids if s not in SCENARIOS]


def study_tables(run: StudyRun) -> StudyTables:
    """The tidy tables of a finished (or interrupted) study."""
    first_year = run.spec.scenarios[BASELINE].period.start.year
    base = run.results[BASELINE].table
    if run.worlds:
        from ukp_sim.analysis.over_worlds import paired_differences_over_worlds as differ
        from ukp_sim.analysis.over_worlds import summarise_over_worlds as summary
    else:
        differ, summary = paired_differences, summarise
    kpis, monthly, diffs, saves, reps = [], [], [], [], []
    for sid in order_scenarios(run.results):
        table = run.results[sid].table
        if table.empty:
            continue
        yearly_rows = table[table["month"] == WHOLE_YEAR]
        s = summary(yearly_rows, sid).drop(columns="month")
        s["milestone"] = [milestone(int(y), first_year) if not math.isnan(t) else math.nan
                          for y, t in zip(s["year"], s["target"])]
        kpis.append(s[[*KPI_COLUMNS, *(c for c in WORLD_COLUMNS if c in s.columns)]])
        m_rows = table[(table["month"] != WHOLE_YEAR) & table["kpi"].isin(MONTHLY_KPIS)
                       & ~table["municipality"].str.contains("/", regex=False)]
        monthly.append(summary(m_rows, sid)[[*MONTHLY_COLUMNS, *(c for c in WORLD_COLUMNS[:3] if run.worlds)]])
        r = yearly_rows.drop(columns="month")
        r.insert(0, "scenario", sid)
        reps.append(r)
        if sid != BASELINE:
            d = differ(base[base["month"] == WHOLE_YEAR], yearly_rows)
            d = d.drop(columns="month")
            d.insert(0, "baseline", BASELINE)
            d.insert(0, "scenario", sid)
            diffs.append(d[[*DIFF_COLUMNS, *(c for c in DIFFERENCE_WORLD_COLUMNS if c in d.columns)]])
            saves.append(scenario_savings(with_costs(base, run.spec.scenarios[BASELINE]),
                                          with_costs(table, run.spec.scenarios[sid]), sid, first_year))
    return StudyTables(
        kpis=pd.concat(kpis, ignore_index=True),
        monthly=pd.concat(monthly, ignore_index=True),
        differences=pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame(columns=DIFF_COLUMNS),
        savings=pd.concat(saves, ignore_index=True) if saves else pd.DataFrame(columns=SAVING_COLUMNS),
        replications=pd.concat(reps, ignore_index=True),
        sensitivity=world_sensitivity(run, first_year) if len(run.worlds) >= MIN_WORLDS_FOR_SENSITIVITY else None,
    )


MIN_WORLDS_FOR_SENSITIVITY = 10  # fewer worlds than this cannot carry an emulator of 26 inputs


def _inputs_of(run: StudyRun, sid: str) -> list[int]:
    """The columns of ``run.world_points`` that can move scenario ``sid``'s answers: every
    calibrated parameter, and the drawn effects ('intervention.key') of the interventions it
    switches on (the others' draws never reach it, and would only blur the emulator)."""
    ivs = run.spec.scenarios[sid].interventions
    on = {f.name for f in dataclasses.fields(ivs) if getattr(ivs, f.name).enabled}
    return [j for j, name in enumerate(run.world_parameters) if "." not in name or name.split(".")[0] in on]


def world_sensitivity(run: StudyRun, first_year: int) -> pd.DataFrame:
    """``sensitivity.csv``: Sobol' indices over the worlds (analysis/sensitivity.py) of (a) the
    baseline's community UKP-days in the target year, (b) each scenario's UKP-days saved in the
    target year (the report names what decides a measure's effect from these) and (c) the
    combined strategy's UKP-days saved over the strategy years, each a mean per world."""
    from ukp_sim.analysis.sensitivity import SENSITIVITY_COLUMNS, sobol_tables
    from ukp_sim.config.targets import target_year as due

    base = run.results[BASELINE].table
    years = sorted(int(y) for y in base["year"].unique())
    target_year = due() if due() in years else years[-1]
    ids = list(run.worlds)
    outputs, scenario_of = {}, {}
    per = _per_replication(base, "ukp_days", [target_year], "sum").groupby("world").mean()
    outputs[f"baseline_ukp_days_{target_year}"] = per
    scenario_of[f"baseline_ukp_days_{target_year}"] = BASELINE
    strategy = [y for y in years if y > first_year]
    for sid, result in run.results.items():  # each measure's saving in the target year: what decides it
        if sid != BASELINE and target_year in strategy and not result.table.empty:
            saved = (_per_replication(base, "ukp_days", [target_year], "sum")
                     - _per_replication(result.table, "ukp_days", [target_year], "sum"))
            outputs[f"{sid}_ukp_days_saved_{target_year}"] = saved.groupby("world").mean()
            scenario_of[f"{sid}_ukp_days_saved_{target_year}"] = sid
    if "combined" in run.results and strategy:
        saved = (_per_replication(base, "ukp_days", strategy, "sum")
                 - _per_replication(run.results["combined"].table, "ukp_days", strategy, "sum"))
        outputs[f"combined_ukp_days_saved_{strategy[0]}_{strategy[-1]}"] = saved.groupby("world").mean()
        scenario_of[f"combined_ukp_days_saved_{strategy[0]}_{strategy[-1]}"] = "combined"
    points = np.asarray(run.world_points)
    jobs = []
    for name, means in outputs.items():
        values = means.reindex(ids).to_numpy(dtype=float)
        cols = _inputs_of(run, scenario_of[name])
        jobs.append((points[:, cols], values, [run.world_parameters[j] for j in cols], name, run.spec.seed))
    return pd.concat(sobol_tables(jobs, run.jobs), ignore_index=True)[SENSITIVITY_COLUMNS]


def _per_replication(table: pd.DataFrame, kpi: str, years: list[int], how: str) -> pd.Series:
    """Per replication (per world and replication over worlds): the yearly values summed or averaged."""
    sel = table[(table["month"] == WHOLE_YEAR) & (table["municipality"] == TOTAL) & (table["kpi"] == kpi)
                & table["year"].isin(years)]
    grouped = sel.groupby(["world", "replication"] if "world" in sel.columns else "replication")["value"]
    return grouped.sum() if how == "sum" else grouped.mean()


def with_costs(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """A KPI table with its cost pseudo-KPIs (analysis/costs.py) appended."""
    from ukp_sim.analysis.costs import cost_table

    return pd.concat([table, cost_table(table, scenario)], ignore_index=True)


def scenario_savings(base: pd.DataFrame, other: pd.DataFrame, sid: str, first_year: int) -> pd.DataFrame:
    """UKP-days and døgnpris saved and beds freed for the whole community, per strategy year and
    over all of them, as paired differences (baseline - scenario) with 95 % CIs; over worlds, with
    the CI of ``over_worlds`` and the 95 % prediction interval of one run's saving. With the cost
    pseudo-KPIs in both tables (``with_costs``), also what the measures cost and each payer's net
    saving (``costs.COST_QUANTITIES``; an intervention cost is scenario - baseline)."""
    from ukp_sim.analysis.costs import COST_QUANTITIES
    worlds = "world" in base.columns
    # the community's yearly rows, selected once (each quantity and span below reads them again)
    base, other = (t[(t["month"] == WHOLE_YEAR) & (t["municipality"] == TOTAL)] for t in (base, other))
    years = sorted(int(y) for y in base["year"].unique() if y > first_year)
    spans = [(str(y), [y]) for y in years]
    if len(years) > 1:
        spans.append((f"{years[0]}–{years[-1]}", years))
    quantities = {q: (kpi, how, 1) for q, (kpi, how) in SAVINGS_OVER_YEARS.items()}
    if (base["kpi"] == "intervention_cost_nok").any():
        quantities.update({q: (kpi, "sum", sign) for q, (kpi, sign) in COST_QUANTITIES.items()})
    rows = []
    for label, span in spans:
        for quantity, (kpi, how, sign) in quantities.items():
            b = _per_replication(base, kpi, span, how)
            o = _per_replication(other, kpi, span, how)
            pairs = b.to_frame("b").join(o.to_frame("o"), how="inner").dropna()
            saved = sign * (pairs["b"] - pairs["o"]).to_numpy(dtype=float)
            row = {"scenario": sid, "period": label, "quantity": quantity}
            mean, lo, hi, n = mean_ci(saved)
            if worlds:
                from ukp_sim.analysis.over_worlds import over_worlds

                w, *over, _, _ = over_worlds(pairs.assign(value=saved).reset_index())
                if w > 1:  # one world: mean_ci's own figures, to the last digit
                    mean, lo, hi = over
                p_lo, p_hi = np.percentile(saved, [2.5, 97.5]) if saved.size else (math.nan, math.nan)
                row.update({"worlds": w, "pi_low": _zero(float(p_lo)), "pi_high": _zero(float(p_hi))})
            row.update({"mean": _zero(mean), "ci_low": _zero(lo), "ci_high": _zero(hi), "n": n})
            rows.append(row)
    return pd.DataFrame(rows, columns=[*SAVING_COLUMNS, *(WORLD_SAVING_COLUMNS if worlds else [])])


def _zero(x: float) -> float:
    return 0.0 if x == 0 else float(x)


def achieved_half_widths(kpis: pd.DataFrame, ids=("ukp_days", "zero_day_share", "mean_ukp_stay")) -> pd.DataFrame:
    """The relative 95 % CI half-width of the community's headline KPIs, per scenario and year."""
    k = kpis[(kpis["municipality"] == TOTAL) & kpis["kpi"].isin(ids)].copy()
    k["relative_half_width"] = (k["ci_high"] - k["ci_low"]) / 2 / k["mean"].abs()
    return k[["scenario", "year", "kpi", "mean", "relative_half_width", "n"]]

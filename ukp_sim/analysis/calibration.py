"""Calibration by history matching: which parameter sets reproduce the observed figures?

The data are thin (a handful of yearly figures) and several parameter sets fit them equally well,
so the method returns a *set* of plausible parameter sets rather than one point (history
matching: Craig et al. 1997; Andrianakis et al. 2015). Each candidate is simulated with the same
seeds (common random numbers), which makes the comparison between candidates smooth. A candidate
is implausible when, for some target,

    I = |simulated mean - observed| / sqrt((tolerance / 2)^2 + Var(simulated mean)) > cut-off,

with the tolerance read as two standard deviations of observation error plus model discrepancy.
Wave 1 is a Latin hypercube over the prior box; later waves resample around the plausible sets.
The search ranks candidates by the expected squared error of one simulated year against the
observed year (weighted); the ensemble of plausible worlds is then simulated with the fit report's
replications, and its best world (still plausible with them, means closest to the targets) is
written as the calibrated baseline; the whole plausible set is kept so later studies can carry the
parameter uncertainty.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ukp_sim.analysis.calibration_core import (  # noqa: F401  (re-exported for callers)
    HistoryMatch,
    WaveStat,
    _target_values,
    implausibility,
    pad_replications,
    simulate_candidates,
    year_distance,
)
from ukp_sim.analysis.calibration_local import local_search
from ukp_sim.analysis.calibration_output import plausible_table, write_calibrated_scenario  # noqa: F401  (re-exported)
from ukp_sim.analysis.calibration_params import apply_parameters, matching_paths  # noqa: F401  (re-exported)
from ukp_sim.analysis.calibration_waves import emulated_wave, next_wave
from ukp_sim.analysis.ensemble import (
    bound_flags,
    choose_judged,
    choose_worlds,
    ensemble_best,
    ensemble_of,
    judge_pool,
    most_met,
    put_first,
    reach,
    simulate_ensemble,
)
from ukp_sim.analysis.runner import mean_ci, runner_for
from ukp_sim.analysis.ukp_sources import ukp_day_sources
from ukp_sim.base.errors import UserError
from ukp_sim.config.calibration_file import (  # noqa: F401  (CalTarget etc. re-exported for callers)
    CalibrationSpec,
    CalParameter,
    CalTarget,
    Settings,
    YearSpec,
    load_calibration_spec,
)
from ukp_sim.config.loader import build_scenario, load_scenario_data


def history_match(spec: CalibrationSpec, year: int, data: dict, path: Path, seed: int, jobs: int,
                  progress: Callable[[str, int, int], None] | None = None,
                  candidates: int | None = None, waves: int | None = None, reps: int | None = None,
                  start_points: np.ndarray | None = None) -> HistoryMatch:
    """History matching for one year. Wave 1 is a Latin hypercube over the whole prior box
    (``start_points``, an experiment, may take its first places). Each later wave samples around
    the candidates not yet ruled out, or, while none is, around the best tenth (the search must
    first find the region). After the set waves, more run (up to ``max_waves``) until at least
    ``min_plausible`` candidates are plausible, so the ensemble can be drawn from them."""
    st = spec.settings
    n = candidates or st.candidates_per_wave
    n_waves = waves or st.waves
    max_waves = max(n_waves, st.max_waves) if waves is None else n_waves
    reps = reps or st.replications_per_candidate
    targets = spec.targets_for(year)
    if not targets:
        raise UserError(f"{spec.file}: no target for year {year}")
    params = list(spec.parameter)
    lo = np.array([p.low for p in params])
    hi = np.array([p.high for p in params])
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(year,)))
    weights = np.array([t.weight for t in targets])
    active = weights > 0
    cutoff, disc, one = st.implausibility_cutoff, st.model_discrepancy, st.one_year_variance
    all_waves, stats = [], []
    sampler = qmc.LatinHypercube(d=len(params), seed=rng)
    points = lo + sampler.random(n) * (hi - lo)
    origin = "Latin hypercube over the prior box"
    if start_points is not None and len(start_points):
        k = min(len(start_points), n // 2)
        points[:k] = np.clip(start_points[:k], lo, hi)
        origin += f" ({k} start sets)"
    top = st.topup_replications if st.topup_replications > reps else 0
    width = max(reps, top)
    P = np.empty((0, len(params)))
    S = np.empty((0, width, len(targets)))
    topped = np.zeros(0, dtype=bool)  # candidates already simulated with the top-up replications
    w = 0
    while True:
        cands = [apply_parameters(data, params, x) for x in points]
        label = f"{year} wave {w + 1}/{n_waves}" if w < n_waves else f"{year} extra wave {w + 1}"
        bar = (lambda k, label=label: progress(label, k, n * reps)) if progress else None
        sims = simulate_candidates(cands, path, targets, seed, reps, jobs, bar)
        P = np.vstack([P, points])
        all_waves.append(np.full(n, w + 1))
        S = np.concatenate([S, pad_replications(sims, width)])
        topped = np.concatenate([topped, np.zeros(n, dtype=bool)])
        max_i = implausibility(S, targets, disc, one)[:, active].max(axis=1)
        n_top = 0
        if top:  # those not ruled out (or nearly) are judged again with the top-up replications (same seeds)
            again = np.flatnonzero((max_i <= cutoff + st.topup_margin) & ~topped)
            n_top = int(again.size)
            if n_top:
                bar = (lambda k, label=label: progress(f"{label} top-up", k, n_top * top)) if progress else None
                S[again] = simulate_candidates([apply_parameters(data, params, P[i]) for i in again], path, targets,
                                               seed, top, jobs, bar)
                topped[again] = True
                max_i = implausibility(S, targets, disc, one)[:, active].max(axis=1)
        keep = np.flatnonzero(max_i <= cutoff)
        stats.append(WaveStat(w + 1, n, int((max_i[-n:] <= cutoff).sum()), int(keep.size), origin, n_top))
        w += 1
        if w >= n_waves and (keep.size >= st.min_plausible or w >= max_waves):
            break
        floor = 0.02
        if 0 < keep.size < 5:  # a few plausible sets: explore the region around them
            floor = 0.05
            origin = f"around the {keep.size} plausible candidates"
        elif keep.size == 0:  # none yet: focus on the best tenth
            dist = year_distance(S, targets)
            keep = np.argsort(dist)[:max(5, len(dist) // 10)]
            origin = f"around the best tenth ({keep.size}; none plausible yet)"
        else:
            origin = f"around the {keep.size} plausible candidates"
        if st.emulator and len(P) >= 2 * len(params):
            points, origin = emulated_wave(P, S, keep, n, lo, hi, rng, targets, active, st)
        else:
            points = next_wave(P, keep, n, lo, hi, rng, floor)
    sims = S
    impl = implausibility(sims, targets, disc, one)
    max_i = impl[:, active].max(axis=1)
    dist = year_distance(sims, targets)
    order = np.argsort(dist)
    plausible = order[max_i[order] <= cutoff]
    any_plausible = plausible.size > 0
    if not any_plausible:
        plausible = order
    # A candidate can lead by luck with few replications (queues near saturation are heavy-tailed):
    # re-check the leaders with more replications (as many as the fit report's, by default) and
    # take the best of those.
    leaders = plausible[:st.refine_candidates]
    bar = (lambda k: progress(f"{year} re-check", k, len(leaders) * st.refine_replications)) if progress else None
    resims = simulate_candidates([apply_parameters(data, params, P[i]) for i in leaders], path, targets, seed,
                                 st.refine_replications, jobs, bar)
    re_dist = year_distance(resims, targets)
    best = int(leaders[int(np.argmin(re_dist))])
    waves_of = np.concatenate(all_waves)
    if st.local_evaluations > 0:
        x, local_sims = local_search(data, path, params, targets, P[best], lo, hi, seed, jobs, st, progress, year)
        if local_sims is not None:
            # the polish is judged like the leaders (their replications, their seeds): a move that
            # helped with the search's few replications may not hold with more
            bar = (lambda k: progress(f"{year} re-check polish", k, st.refine_replications)) if progress else None
            x_sims = simulate_candidates([apply_parameters(data, params, x)], path, targets, seed,
                                         st.refine_replications, jobs, bar)
            if year_distance(x_sims, targets)[0] < re_dist.min():
                # the polished set joins the candidates (wave 0 marks it), simulated with the local
                # replications padded to the candidates' count for the tables
                P = np.vstack([P, x])
                waves_of = np.concatenate([waves_of, [0]])
                pad = local_sims[: sims.shape[1]]
                if pad.shape[0] < sims.shape[1]:
                    pad = np.concatenate([pad, np.full((sims.shape[1] - pad.shape[0], pad.shape[1]), np.nan)])
                sims = np.concatenate([sims, pad[None]])
                impl = implausibility(sims, targets, disc, one)
                max_i = impl[:, active].max(axis=1)
                dist = year_distance(sims, targets)
                best = len(P) - 1
                if max_i[best] <= cutoff:
                    any_plausible = True
    plausible = np.concatenate([[best], plausible[plausible != best]])[:st.max_plausible_sets]
    return HistoryMatch(year, targets, params, P, waves_of, sims, impl, max_i, dist,
                        plausible, any_plausible, waves=stats, cutoff=cutoff, discrepancy=disc, one_year=one,
                        replications=reps, topup=top)


# ---------------------------------------------------------------------------------------------
# Checking a parameter set with many replications
# ---------------------------------------------------------------------------------------------
@dataclass
class FitRow:
    target: CalTarget
    mean: float
    ci_low: float
    ci_high: float
    values: np.ndarray

    @property
    def passed(self) -> bool:
        return abs(self.mean - self.target.observed) <= self.target.tolerance

    @property
    def error(self) -> float:
        return self.mean - self.target.observed


def check_fit(data: dict, path: Path, targets: list[CalTarget], seed: int, reps: int, jobs: int,
              progress=None) -> list[FitRow]:
    sims = simulate_candidates([data], path, targets, seed, reps, jobs, progress)[0]
    rows = []
    for j, t in enumerate(targets):
        mean, lo, hi, _ = mean_ci(sims[:, j])
        rows.append(FitRow(t, mean, lo, hi, sims[:, j]))
    return rows


@dataclass
class YearResult:
    year: int
    scenario_path: Path
    base: dict
    hm: HistoryMatch
    fit: list[FitRow]
    output: Path
    seconds: float
    heldout: list[FitRow] | None = None
    heldout_spread: np.ndarray | None = None  # [plausible set, target] means, from the other year's sets
    heldout_from: int | None = None
    sources: object = None  # where the best set's UKP-days come from (ukp_sources.py)
    ensemble: object = None  # DataFrame: one row per plausible world (ensemble.py)
    ensemble_points: np.ndarray | None = None  # [world, parameter]
    bounds: list | None = None  # parameters whose plausible range touches a prior bound
    reach: list | None = None  # what the judged plausible worlds can meet (ensemble.reach)
    most_met: tuple[int, int, int] | None = None  # judged worlds meeting every target, most met, targets
    judged: object = None  # DataFrame: every candidate simulated with the ensemble's replications


def _load_plausible(folder: Path | None, year: int, spec: CalibrationSpec) -> np.ndarray | None:
    """The plausible sets of an earlier calibration of ``year`` (best first), or None."""
    import pandas as pd

    folder = folder or Path(spec.file).parent
    f = folder / f"ensemble_{year}.csv"
    if f.exists():
        table = pd.read_csv(f).sort_values("world")
    else:
        f = folder / f"plausible_{year}.csv"
        if not f.exists():
            return None
        table = pd.read_csv(f).sort_values("rank")
    names = [p.name for p in spec.parameter]
    if not set(names) <= set(table.columns):
        return None  # the parameters changed since; start afresh
    return table[names].to_numpy(dtype=float)


SOURCE_REPLICATIONS = 4  # for the report's table of where the UKP-days come from (means over replications)


def start_point(spec: CalibrationSpec, ys: YearSpec) -> np.ndarray:
    """The year's ``start`` set as a parameter vector (the prior's midpoint where it is silent)."""
    return np.array([ys.start.get(p.name, 0.5 * (p.low + p.high)) for p in spec.parameter], dtype=float)


def run_calibration(spec: CalibrationSpec, years: list[int], seed: int, jobs: int,
                    scenario_override: Path | None = None, progress=None,
                    candidates: int | None = None, waves: int | None = None, reps: int | None = None,
                    final_reps: int | None = None, spread_sets: int = 30,
                    previous_dir: Path | None = None) -> dict[int, YearResult]:
    """Calibrate each year in turn. A year with ``heldout_from`` starts its search from that
    year's plausible sets (from this run, or from ``previous_dir``/plausible_<year>.csv) and is
    also predicted from that year's best set unchanged (the held-out check). ``jobs`` is a worker
    count or a Runner; either way one pool serves every sweep."""
    with runner_for(jobs) as runner:  # one pool for every sweep of every year
        return _calibrate_years(spec, years, seed, runner, scenario_override, progress, candidates, waves, reps,
                                final_reps, spread_sets, previous_dir)


def _ensemble(hm, st, data, path, seed, jobs, progress) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame | None]:
    """The ensemble's worlds (candidate indices) and their table. Balanced, every plausible
    candidate (at most ``ensemble_pool``) is simulated with the ensemble's replications first, and
    the worlds are chosen and balanced among those still plausible with them; else maximin on the
    search's replications, then simulated. The third item is the judged pool's table (or None)."""
    if st.balance_ensemble and hm.any_plausible:
        pool = judge_pool(hm, max(st.ensemble_pool, st.ensemble_size))
        table = simulate_ensemble(hm, pool, data, path, seed, st.ensemble_replications, jobs, progress)
        rows = choose_judged(hm, pool, table, st.ensemble_size)
        if rows is not None:
            hm.judged = (len(pool), int(table["plausible"].sum()))
            return pool[rows], ensemble_of(table, rows), table
    worlds = choose_worlds(hm, st.ensemble_size, False)
    return worlds, simulate_ensemble(hm, worlds, data, path, seed, st.ensemble_replications, jobs, progress), None


def _calibrate_years(spec, years, seed, jobs, scenario_override, progress, candidates, waves, reps, final_reps,
                     spread_sets, previous_dir) -> dict[int, YearResult]:
    import time


    results: dict[int, YearResult] = {}
    final_reps = final_reps or spec.settings.final_replications
    for year in years:
        ys = spec.years.get(str(year))
        if ys is None:
            raise UserError(f"{spec.file}: no [years.{year}] table", )
        path = scenario_override if scenario_override else spec.resolve(ys.scenario)
        data, files, provenance = load_scenario_data(path)
        build_scenario(data, path, files, provenance)  # the input itself must be valid
        started = time.process_time()
        t0 = time.time()
        src_points = None
        if ys.heldout_from is not None:  # the other year's ensemble worlds, its best first
            src_points = (results[ys.heldout_from].ensemble_points
                          if ys.heldout_from in results else _load_plausible(previous_dir, ys.heldout_from, spec))
        st = spec.settings
        starts = [start_point(spec, ys)] if (ys.start and st.use_start) else []
        if src_points is not None and st.seed_from_heldout:
            starts.extend(src_points)
        hm = history_match(spec, year, data, path, seed, jobs, progress, candidates, waves, reps,
                           start_points=np.array(starts) if starts else None)
        worlds, ensemble, judged = _ensemble(hm, st, data, path, seed, jobs, progress)
        row = ensemble_best(ensemble, hm.targets)
        if row is not None:  # the calibrated baseline is the ensemble's best world, judged with its replications
            hm.plausible = np.concatenate([[worlds[row]], hm.plausible[hm.plausible != worlds[row]]])
            worlds = np.concatenate([[worlds[row]], np.delete(worlds, row)])
            ensemble = put_first(ensemble, row)
        best = apply_parameters(data, hm.params, hm.points[hm.best])
        bar = (lambda k: progress(f"{year} best set", k, final_reps)) if progress else None
        fit = check_fit(best, path, hm.targets, seed, final_reps, jobs, bar)
        res = YearResult(year, path, data, hm, fit, spec.resolve(ys.output), time.time() - t0)
        res.sources = ukp_day_sources(build_scenario(best, path), seed, SOURCE_REPLICATIONS)
        res.ensemble = ensemble
        res.judged = judged
        res.reach = reach(judged, hm.targets, st.ensemble_size) if judged is not None else None
        res.most_met = most_met(judged, hm.targets) if judged is not None else None
        res.ensemble_points = hm.points[worlds]
        res.bounds = bound_flags(hm)
        if src_points is not None and len(src_points):
            pred = apply_parameters(data, hm.params, src_points[0])
            bar = (lambda k: progress(f"{year} held-out", k, final_reps)) if progress else None
            res.heldout = check_fit(pred, path, hm.targets, seed, final_reps, jobs, bar)
            cands = [apply_parameters(data, hm.params, x) for x in src_points[:spread_sets]]
            n = st.ensemble_replications
            bar = (lambda k: progress(f"{year} held-out spread", k, len(cands) * n)) if progress else None
            res.heldout_spread = np.nanmean(simulate_candidates(cands, path, hm.targets, seed, n, jobs, bar), axis=1)
            res.heldout_from = ys.heldout_from
        hm.cpu_note = f"{time.process_time() - started:.0f} CPU-s in the main process"
        results[year] = res
    return results

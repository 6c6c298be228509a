"""``ukp-sim calibrate``: history matching of the uncertain parameters to the observed figures;
writes the calibrated scenarios, the plausible sets and the fit report."""
from __future__ import annotations

import argparse
from pathlib import Path

from ukp_sim.cli.common import add_engine_options, positive_int, seed_int


def add_parser(sub) -> None:
    cal = sub.add_parser(
        "calibrate", help="fit the uncertain parameters to the observed figures (history matching)",
        description="Calibrate by history matching: simulate candidate parameter sets with common random "
        "numbers, rule out those that cannot reproduce the targets, and write the best set as a calibrated "
        "scenario, the plausible sets as CSV, and a fit report with figures (Norwegian and English).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: ukp-sim calibrate calibration/targets.toml --seed 2022 --jobs 2",
    )
    cal.add_argument("targets", type=Path, help="targets and parameters (TOML), e.g. calibration/targets.toml")
    cal.add_argument("--scenario", type=Path, default=None,
                     help="scenario to calibrate (default: the one the targets file names for the year); needs --year")
    cal.add_argument("--year", type=int, action="append", default=None,
                     help="year to calibrate (repeatable; default: every year in the targets file)")
    cal.add_argument("--seed", "-s", type=seed_int, default=2022, help="seed (default 2022)")
    cal.add_argument("--jobs", "-j", type=positive_int, default=1, help="worker processes (default 1)")
    add_engine_options(cal)
    cal.add_argument("--out-dir", type=Path, default=None,
                     help="folder for the report and plausible sets (default: the targets file's folder)")
    cal.add_argument("--candidates", type=positive_int, default=None, help="candidates per wave (default: file)")
    cal.add_argument("--waves", type=positive_int, default=None, help="waves (default: file)")
    cal.add_argument("--reps", type=positive_int, default=None, help="replications per candidate (default: file)")
    cal.add_argument("--final-reps", type=positive_int, default=None,
                     help="replications for the best set's fit (default: file)")
    cal.add_argument("--quick", action="store_true",
                     help="a small search for tests and a first look (12 candidates x 2 waves x 2 replications, "
                     "4 worlds, no local search); needs --out-dir, where it also writes the calibrated scenarios")
    cal.add_argument("--force", action="store_true",
                     help="write the calibrated scenario of a year even if no candidate was plausible (by default the "
                     "existing baseline is kept and the command exits with status 1)")
    cal.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def execute(args) -> int:
    import shlex
    import sys

    from ukp_sim import __version__
    from ukp_sim.analysis.calibration import (
        load_calibration_spec,
        plausible_table,
        run_calibration,
        write_calibrated_scenario,
    )
    from ukp_sim.base.errors import UserError
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import console_command, make_runner, report_cache
    from ukp_sim.report.calibration_report import target_conflicts, write_report
    from ukp_sim.report.ensemble_figure import ensemble_csv

    spec = load_calibration_spec(args.targets)
    if args.quick:
        if args.out_dir is None:
            raise UserError("--quick needs --out-dir (a quick fit must not replace the calibrated baselines)")
        spec = quick_spec(spec)
    years = args.year or sorted(int(y) for y in spec.years)
    if args.scenario is not None and len(years) != 1:
        raise UserError("--scenario needs exactly one --year")
    bar = None
    progress = None
    if not args.quiet:
        from tqdm import tqdm

        state = {"label": None}

        def progress(label, k, total):
            nonlocal bar
            if state["label"] != label:
                if bar is not None:
                    bar.close()
                bar = tqdm(total=total, desc=label, unit="run", file=sys.stderr, leave=False, delay=1.0)
                state["label"] = label
            bar.update(k)
    try:
        with make_runner(args) as runner:  # one backend for every sweep of every year
            results = run_calibration(spec, years, args.seed, runner, args.scenario, progress,
                                      args.candidates, args.waves, args.reps, args.final_reps,
                                      previous_dir=args.out_dir)
    finally:
        if bar is not None:
            bar.close()
    report_cache(args, runner)
    out_dir = args.out_dir or Path(spec.file).parent
    why = {year: reason for year, res in results.items()
           if not args.force and (reason := unfit_reason(res, headline_too=not args.quick))}
    unfit = list(why)
    if unfit:  # the record of a failed search goes beside, not over, the report of the baselines in use
        import datetime as dt

        out_dir = out_dir / "attempts" / f"{dt.date.today().isoformat()}_seed{args.seed}"
    command = shlex.join([*console_command(), *args.argv])  # works as printed, e.g. .venv/bin/ukp-sim
    files: dict[str, str | bytes] = {}
    for year, res in results.items():
        files[f"plausible_{year}.csv"] = plausible_table(res.hm).to_csv(index=False)
        files[f"ensemble_{year}.csv"] = ensemble_csv(res, args.seed, __version__)
        if res.judged is not None:
            files[f"judged_{year}.csv"] = ensemble_csv(res, args.seed, __version__, judged=True)
    for lang in ("nb", "en"):
        files.update(write_report(spec, results, out_dir, args.seed, args.jobs, command, __version__, lang,
                                  target_conflicts(spec, lang, results)))
    scenario_texts = {}
    for year, res in results.items():
        extends = res.scenario_path
        if args.quick:
            res.output = out_dir / res.output.name
        if year in unfit:
            continue
        scenario_texts[res.output] = write_calibrated_scenario(res.output, extends, res.base, res.hm, args.seed,
                                                               res.fit, __version__)
    write_outputs(out_dir, files)
    for path, text in scenario_texts.items():
        write_outputs(path.parent, {path.name: text})
    for year, res in results.items():
        passed = sum(r.passed for r in res.fit)
        wrote = "kept" if year in unfit else "wrote"
        line = f"{year}: {passed} of {len(res.fit)} targets within tolerance; {wrote} {res.output}"
        if res.heldout is not None:
            line += f"; held-out from {res.heldout_from}: {sum(r.passed for r in res.heldout)} of {len(res.heldout)}"
        print(line)
    print(f"report: {out_dir / 'report.md'} (English: report.en.md)")
    for year in unfit:
        print(f"{year}: {why[year]}, so {results[year].output} was NOT replaced (nor the report "
              f"of the baselines in use); this attempt's report, in {out_dir}, shows which targets cannot be met "
              "together (--force writes the best candidate anyway)", file=sys.stderr)
    return 1 if unfit else 0


def unfit_reason(res, headline_too: bool = True) -> str | None:
    """Why a year's calibrated scenario must not replace the baseline in use, or None. Either no
    candidate was plausible, or the best set misses the headline target (the one of highest
    weight: the community's UKP-days) with the fit report's replications: a baseline is cited by
    its headline, and a plausible set can still miss it (plausible allows the model discrepancy)."""
    if not res.hm.any_plausible:
        return "no candidate was plausible"
    if not headline_too:
        return None
    head = max(res.fit, key=lambda r: r.target.weight)
    if head.passed:
        return None
    t = head.target
    return (f"its best set misses the headline target, {t.kpi} for {t.municipality}: {head.mean:,.0f} with "
            f"{len(head.values)} replications against {t.observed:,.0f} ± {t.tolerance:,.0f}")


def quick_spec(spec):
    """The targets file's search made small: for tests and a first look, never for a baseline."""
    from dataclasses import replace

    quick = replace(spec.settings, candidates_per_wave=12, waves=2, max_waves=2, min_plausible=0,
                    replications_per_candidate=2, final_replications=3, refine_candidates=2,
                    topup_replications=0, refine_replications=2, local_evaluations=0, ensemble_size=4,
                    ensemble_replications=2)
    return replace(spec, settings=quick)

"""``ukp-sim run``: replications of one scenario, its KPI table, and kpis.csv, kpis_monthly.csv,
replications.csv and run.json."""
from __future__ import annotations

import argparse
from pathlib import Path

from ukp_sim.cli.common import add_output_options, add_replication_options
from ukp_sim.cli.worlds_options import add_world_options


def add_parser(sub) -> None:
    run = sub.add_parser(
        "run", help="run a scenario and write its KPIs",
        description="Run N replications of a scenario (or as many as --precision needs), print each "
        "KPI's mean and 95 % confidence interval beside its target and status, and write kpis.csv, kpis_monthly.csv, "
        "replications.csv and run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The numbers depend only on the scenario, --seed and --replications (or --precision and its "
        "limits), never on --jobs.",
    )
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    add_replication_options(run)
    add_world_options(run, calibration=True)
    add_output_options(run, None, "output folder (default results/<scenario name>)", "table")


def execute(args) -> int:
    import json
    import sys
    import time

    from ukp_sim import __version__
    from ukp_sim.analysis.over_worlds import run_over_worlds, summarise_over_worlds, world_scenarios
    from ukp_sim.analysis.runner import run_replications, summarise
    from ukp_sim.base.errors import UserError
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import (
        Progress,
        engine_meta,
        files_meta,
        kept_in_cache,
        make_runner,
        report_cache,
        resolve_replications,
        run_scenarios,
    )
    from ukp_sim.cli.worlds_options import BUNDLED_CALIBRATION, worlds_maker, worlds_meta
    from ukp_sim.config.loader import load_scenario, scenario_to_dict
    from ukp_sim.kpi import definitions_for
    from ukp_sim.report.console import kpi_table, precision_lines, wait_lines
    from ukp_sim.report.provenance import definitions_meta, provenance, targets_meta

    resolve_replications(args)
    scenario = load_scenario(args.scenario)
    out = args.out or Path("results") / scenario.name
    worlds = worlds_maker(args, args.calibration or BUNDLED_CALIBRATION, args.scenario, "--calibration", args.seed)
    if worlds is not None and args.precision is not None:
        raise UserError("--worlds runs --replications in every world; --precision does not apply (leave it out)")
    started = time.time()
    with make_runner(args) as runner:
        if worlds is not None:
            bar = Progress(args.quiet, scenario.name, per_batch=len(worlds.worlds))
            bar.set_replications(args.replications)
            try:
                result = run_over_worlds(world_scenarios(worlds, {scenario.name: args.scenario}), args.replications,
                                         args.seed, runner, bar.update)[scenario.name]
            finally:
                bar.close()
            pres = None
        elif args.precision is None:
            bar = Progress(args.quiet, scenario.name)
            bar.set_replications(args.replications)
            try:
                result = run_replications(scenario, args.replications, args.seed, runner, bar.update)
            finally:
                bar.close()
            pres = None
        else:
            results, pres = run_scenarios(args, runner, {scenario.name: scenario}, scenario.name)
            result = results[scenario.name]
    report_cache(args, runner)
    if not result.completed:
        print(f"interrupted before any replication finished; nothing written ({kept_in_cache(runner)})",
              file=sys.stderr)
        return 130
    table = result.table
    summary = (summarise_over_worlds if worlds is not None else summarise)(table, scenario.name)
    yearly = summary[summary["month"] == 0].drop(columns="month")
    monthly = summary[summary["month"] != 0]
    reps = table.copy()
    reps.insert(0, "scenario", scenario.name)
    reps_yearly = reps[reps["month"] == 0].drop(columns="month")
    definitions = definitions_for(scenario)
    meta = {
        "scenario": scenario.name,
        "scenario_file": str(args.scenario),
        "scenario_files": files_meta(scenario),
        "scenario_hash": scenario.content_hash,
        "seed": args.seed,
        "replications_requested": result.requested,
        "replications_completed": len(result.completed),
        "interrupted": result.interrupted,
        "jobs": args.jobs,
        **engine_meta(runner),
        "precision": None if pres is None else pres.to_dict(),
        **provenance(args, started),
        "confidence_intervals": "95 % t-interval of the mean over replications",
        **worlds_meta(worlds),
        "kpi_definitions": definitions_meta(definitions),
        **targets_meta(),
        "scenario_values": scenario_to_dict(scenario),
    }
    files = {
        "kpis.csv": yearly.to_csv(index=False),
        "kpis_monthly.csv": monthly.to_csv(index=False),
        "replications.csv": reps_yearly.to_csv(index=False),
        "run.json": json.dumps(meta, indent=2, ensure_ascii=False, default=str),
    }
    write_outputs(out, files)
    if not args.quiet:
        print(kpi_table(summary, definitions, args.lang, colour=sys.stdout.isatty()))
        waits = wait_lines(summary, args.lang)
        if waits:
            print(waits)
            print()
        if pres is not None:
            print(precision_lines(pres, definitions, args.lang))
            print()
    done = f"{len(result.completed)} of {result.requested} replications"
    if result.interrupted:
        print(f"interrupted: wrote the {done} that finished to {out}/; {kept_in_cache(runner)}", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {', '.join(files)} to {out}/ ({done}, seed {args.seed}, ukp-sim {__version__})")
    return 0

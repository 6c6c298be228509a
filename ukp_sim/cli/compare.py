"""``ukp-sim compare``: a baseline and other scenarios under common random numbers, side by side,
with paired differences and savings; kpis.csv, differences.csv, replications.csv and run.json."""
from __future__ import annotations

import argparse
from pathlib import Path

from ukp_sim.cli.common import add_output_options, add_replication_options
from ukp_sim.cli.worlds_options import add_world_options

COMPARE_KPI_COLUMNS = ["scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target",
                       "attainment", "status"]
COMPARE_DIFF_COLUMNS = ["scenario", "baseline", "year", "municipality", "kpi", "mean_difference", "ci_low",
                        "ci_high", "n", "relative_change"]


def add_parser(sub) -> None:
    cmp = sub.add_parser(
        "compare", help="compare scenarios with a baseline under common random numbers",
        description="Run a baseline and one or more other scenarios with the same seed and replications "
        "(common random numbers), print each KPI's mean and 95 % CI per scenario side by side with the "
        "paired difference against the baseline and its CI (* where the CI excludes 0), and what each "
        "scenario saves (UKP-days, cost, beds), and write kpis.csv, differences.csv, replications.csv and "
        "run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The first file is the baseline. Scenario names (`name` in each file) must differ. Every file "
        "is checked before anything runs.\n--precision-diff D runs until every difference is known to ±D (the rule "
        "for a decision); --precision P until every mean is known to ±P of itself.\nexample: ukp-sim compare "
        "scenarios/baseline_2023.toml scenarios/example_more_korttid_melhus.toml --precision-diff 100 --jobs 2",
    )
    cmp.add_argument("baseline", type=Path, help="the baseline scenario file (TOML)")
    cmp.add_argument("scenarios", type=Path, nargs="+", metavar="scenario",
                     help="scenario files to compare with the baseline (TOML)")
    add_replication_options(cmp, differences=True)
    add_world_options(cmp, calibration=True)
    add_output_options(cmp, Path("results") / "compare", "output folder (default results/compare)", "tables")


def load_comparison(paths: list[Path]) -> dict:
    """Load and check every scenario file before anything runs; names must differ. Returns
    {name: (path, scenario)} in the order given (the first is the baseline)."""
    from ukp_sim.base.errors import UserError
    from ukp_sim.config.loader import load_scenario

    loaded: dict = {}
    for path in paths:
        scenario = load_scenario(path)
        if scenario.name in loaded:
            first = loaded[scenario.name][0]
            raise UserError(f"{path}: name: '{scenario.name}' is also the name of {first} (fix: give each "
                            "scenario its own `name`, the column that tells them apart in the results)")
        loaded[scenario.name] = (path, scenario)
    return loaded


def execute(args) -> int:
    import json
    import sys
    import time

    import pandas as pd

    from ukp_sim import __version__
    from ukp_sim.analysis.compare import CRN_STATEMENT, paired_differences, savings
    from ukp_sim.analysis.over_worlds import (
        DIFFERENCE_WORLD_COLUMNS,
        WORLD_COLUMNS,
        paired_differences_over_worlds,
        run_over_worlds,
        summarise_over_worlds,
        world_scenarios,
    )
    from ukp_sim.analysis.runner import summarise
    from ukp_sim.base.errors import UserError
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import (
        Progress,
        engine_meta,
        files_meta,
        json_value,
        kept_in_cache,
        make_runner,
        report_cache,
        resolve_replications,
        run_scenarios,
    )
    from ukp_sim.cli.worlds_options import BUNDLED_CALIBRATION, worlds_maker, worlds_meta
    from ukp_sim.config.loader import scenario_to_dict
    from ukp_sim.kpi import definitions_for
    from ukp_sim.report.console import compare_table, precision_lines, savings_lines
    from ukp_sim.report.provenance import definitions_meta, provenance, targets_meta

    resolve_replications(args)
    loaded = load_comparison([args.baseline, *args.scenarios])
    names = list(loaded)
    base = names[0]
    scenarios = {name: sc for name, (_, sc) in loaded.items()}
    worlds = worlds_maker(args, args.calibration or BUNDLED_CALIBRATION, args.baseline, "--calibration", args.seed)
    if worlds is not None and (args.precision is not None or args.precision_diff is not None):
        raise UserError("--worlds runs --replications in every world; --precision and --precision-diff do not "
                        "apply (leave them out)")
    started = time.time()
    with make_runner(args) as runner:
        if worlds is None:
            results, pres = run_scenarios(args, runner, scenarios, "compare")
        else:
            bar = Progress(args.quiet, "compare", per_batch=len(scenarios) * len(worlds.worlds))
            bar.set_replications(args.replications)
            try:
                results = run_over_worlds(world_scenarios(worlds, {n: p for n, (p, _) in loaded.items()}),
                                          args.replications, args.seed, runner, bar.update)
            finally:
                bar.close()
            pres = None
    summarise_, paired = ((summarise_over_worlds, paired_differences_over_worlds) if worlds is not None
                          else (summarise, paired_differences))
    report_cache(args, runner)
    if any(r.interrupted for r in results.values()):
        print(f"interrupted: nothing written (a comparison needs every scenario's replications); "
              f"{kept_in_cache(runner)}", file=sys.stderr)
        return 130
    n = len(results[base].completed)
    summaries, diffs, reps, saved = [], [], [], {}
    for name in names:
        table = results[name].table
        summary = summarise_(table, name)
        summaries.append(summary[summary["month"] == 0].drop(columns="month"))
        r = table[table["month"] == 0].drop(columns="month")
        r.insert(0, "scenario", name)
        reps.append(r)
        if name != base:
            d = paired(results[base].table, table)
            saved[name] = savings(d)
            d = d[d["month"] == 0].drop(columns="month")
            d.insert(0, "baseline", base)
            d.insert(0, "scenario", name)
            diffs.append(d)
    kpis = pd.concat(summaries, ignore_index=True)[[*COMPARE_KPI_COLUMNS, *(WORLD_COLUMNS if worlds else [])]]
    differences = pd.concat(diffs, ignore_index=True)
    replications = pd.concat(reps, ignore_index=True)
    definitions = definitions_for(scenarios[base])
    differ = [name for name in names[1:] if definitions_for(scenarios[name]) != definitions]
    meta = {
        "baseline": base,
        "scenarios": [
            {"name": name, "scenario_file": str(path), "description": sc.description,
             "scenario_files": files_meta(sc), "scenario_hash": sc.content_hash}
            for name, (path, sc) in loaded.items()
        ],
        "seed": args.seed,
        "replications": n,
        "jobs": args.jobs,
        **engine_meta(runner),
        "precision": None if pres is None else pres.to_dict(),
        "common_random_numbers": True,
        "comparison": CRN_STATEMENT,
        **provenance(args, started),
        "confidence_intervals": "95 % t-interval of the mean over replications; for differences, of the mean "
                                "paired difference",
        **worlds_meta(worlds),
        "kpi_definitions": definitions_meta(definitions),
        "kpi_definitions_differ": differ,
        **targets_meta(),
        "savings": {name: [{k: json_value(v) for k, v in row.items()} for row in sv.to_dict("records")]
                    for name, sv in saved.items()},
        "scenario_values": {name: scenario_to_dict(sc) for name, sc in scenarios.items()},
    }
    files = {
        "kpis.csv": kpis.to_csv(index=False),
        "differences.csv": differences[[*COMPARE_DIFF_COLUMNS, *(DIFFERENCE_WORLD_COLUMNS if worlds else [])]
                                       ].to_csv(index=False),
        "replications.csv": replications.to_csv(index=False),
        "run.json": json.dumps(meta, indent=2, ensure_ascii=False, default=str),
    }
    write_outputs(args.out, files)
    for name in names[1:]:
        if scenarios[name].period != scenarios[base].period:
            print(f"warning: {name} simulates another period than {base} ([period]); only the years and "
                  "municipalities both report are paired", file=sys.stderr)
    if differ:
        print(f"warning: {', '.join(differ)} count KPIs by other rules than {base} ([kpi] table); their "
              "differences mix counting rules", file=sys.stderr)
    if not args.quiet:
        print(compare_table(kpis, differences, definitions, names, args.lang))
        print(savings_lines(saved, base, args.lang))
        if pres is not None:
            print(precision_lines(pres, definitions, args.lang))
            print()
        over = f" x {len(worlds.worlds)} plausible worlds" if worlds is not None else ""
        print(f"wrote {', '.join(files)} to {args.out}/ ({len(names)} scenarios{over} x {n} replications, seed "
              f"{args.seed}, common random numbers, ukp-sim {__version__})")
    return 0

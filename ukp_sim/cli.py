"""The ``ukp-sim`` command: run a scenario, or check a scenario file without running it."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shlex
import sys
import time
from pathlib import Path

from . import __version__
from .errors import UserError
from .experiment import run_replications, summarise
from .io import file_sha256, write_outputs
from .kpi import definitions_for
from .report import kpi_table
from .scenario_loader import load_scenario, scenario_to_dict
from .targets import TARGETS_FILE, load_targets

EPILOG = """examples:
  ukp-sim run scenarios/baseline.toml
  ukp-sim run scenarios/baseline.toml --replications 30 --seed 7 --jobs 2 --out results/base
  ukp-sim validate my_whatif.toml

Exit codes: 0 success, 1 unexpected failure, 2 a problem with the input (the message says which
file, which key and how to fix it), 130 interrupted (finished replications are kept)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ukp-sim",
        description="Discrete-event simulation of discharge-ready patients (UKP) between St. Olavs "
        "hospital and the municipalities of its health community: UKP-days, korttidsplasser, home "
        "services and readmissions, with the six KPIs of the strategy and 95 % confidence intervals.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"ukp-sim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run", help="run a scenario and write its KPIs",
        description="Run N replications of a scenario, print each KPI's mean and 95 %% confidence "
        "interval beside its target and status, and write kpis.csv, kpis_monthly.csv, "
        "replications.csv and run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The numbers depend only on the scenario, --seed and --replications, never on --jobs.",
    )
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    run.add_argument("--replications", "-n", type=_positive_int, default=10,
                     help="independent replications (default 10)")
    run.add_argument("--seed", "-s", type=_seed, default=20231, help="run seed (default 20231)")
    run.add_argument("--jobs", "-j", type=_positive_int, default=1,
                     help="worker processes (default 1; results are identical for any value)")
    run.add_argument("--out", "-o", type=Path, default=None,
                     help="output folder (default results/<scenario name>)")
    run.add_argument("--lang", choices=("nb", "en"), default="nb",
                     help="language of the printed table: nb (bokmål, default) or en")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no table")

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
    cal.add_argument("--seed", "-s", type=_seed, default=2022, help="seed (default 2022)")
    cal.add_argument("--jobs", "-j", type=_positive_int, default=1, help="worker processes (default 1)")
    cal.add_argument("--out-dir", type=Path, default=None,
                     help="folder for the report and plausible sets (default: the targets file's folder)")
    cal.add_argument("--candidates", type=_positive_int, default=None, help="candidates per wave (default: file)")
    cal.add_argument("--waves", type=_positive_int, default=None, help="waves (default: file)")
    cal.add_argument("--reps", type=_positive_int, default=None, help="replications per candidate (default: file)")
    cal.add_argument("--final-reps", type=_positive_int, default=None,
                     help="replications for the best set's fit (default: file)")
    cal.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    val = sub.add_parser("validate", help="check a scenario file without running it",
                         description="Load and validate a scenario file (following `extends`), "
                         "print a short summary, and exit 0 if it is usable, 2 if not.")
    val.add_argument("scenario", type=Path, help="scenario file (TOML)")
    return p


def cmd_validate(args) -> int:
    s = load_scenario(args.scenario)
    beds = sum(u.beds for m in s.municipalities.values() for u in m.korttid.units.values())
    print(f"{args.scenario}: OK — scenario '{s.name}', {len(s.municipalities)} municipalities, "
          f"{s.population} inhabitants, {beds} korttidsplasser, period from {s.period.start}, "
          f"{s.period.years} year(s)")
    return 0


def cmd_run(args) -> int:
    scenario = load_scenario(args.scenario)
    out = args.out or Path("results") / scenario.name
    started = time.time()
    progress = None
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=args.replications, desc=f"{scenario.name}", unit="rep", delay=2.0,
                   file=sys.stderr, leave=False)
        progress = bar.update
    try:
        result = run_replications(scenario, args.replications, args.seed, args.jobs, progress)
    finally:
        if bar is not None:
            bar.close()
    if not result.completed:
        print("interrupted before any replication finished; nothing written", file=sys.stderr)
        return 130
    table = result.table
    summary = summarise(table, scenario.name)
    yearly = summary[summary["month"] == 0].drop(columns="month")
    monthly = summary[summary["month"] != 0]
    reps = table.copy()
    reps.insert(0, "scenario", scenario.name)
    reps_yearly = reps[reps["month"] == 0].drop(columns="month")
    definitions = definitions_for(scenario)
    targets, rule = load_targets()
    meta = {
        "scenario": scenario.name,
        "scenario_file": str(args.scenario),
        "scenario_files": [{"path": f, "sha256": file_sha256(f)} for f in scenario.source_files],
        "scenario_hash": scenario.content_hash,
        "seed": args.seed,
        "replications_requested": result.requested,
        "replications_completed": len(result.completed),
        "interrupted": result.interrupted,
        "jobs": args.jobs,
        "version": __version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 2),
        "python": platform.python_version(),
        "command": shlex.join(["ukp-sim", *args.argv]),
        "confidence_intervals": "95 % t-interval of the mean over replications",
        "kpi_definitions": {k: {"label_nb": d.label_nb, "label_en": d.label_en, "unit": d.unit,
                                "definition": d.definition} for k, d in definitions.items()},
        "targets": {k: {"target": t.target, "direction": t.direction, "baseline": t.baseline,
                        "baseline_note": t.baseline_note, "scope": t.scope} for k, t in targets.items()},
        "status_rule": {"green": "target met",
                        "yellow": f"missed, but >= {rule.yellow_attainment:.0%} of the way from baseline to "
                                  f"target (or within {rule.yellow_relative:.0%} of a target equal to the baseline)",
                        "red": "otherwise", "source": str(TARGETS_FILE.name)},
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
    done = f"{len(result.completed)} of {result.requested} replications"
    if result.interrupted:
        print(f"interrupted: wrote the {done} that finished to {out}/", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {', '.join(files)} to {out}/ ({done}, seed {args.seed}, ukp-sim {__version__})")
    return 0


def cmd_calibrate(args) -> int:
    from .calibration import load_calibration_spec, plausible_table, run_calibration, write_calibrated_scenario
    from .calibration_report import target_conflicts, write_report

    spec = load_calibration_spec(args.targets)
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
        results = run_calibration(spec, years, args.seed, args.jobs, args.scenario, progress,
                                  args.candidates, args.waves, args.reps, args.final_reps)
    finally:
        if bar is not None:
            bar.close()
    out_dir = args.out_dir or Path(spec.file).parent
    command = shlex.join(["ukp-sim", *args.argv])
    files: dict[str, str | bytes] = {}
    for year, res in results.items():
        files[f"plausible_{year}.csv"] = plausible_table(res.hm).to_csv(index=False)
    for lang in ("nb", "en"):
        files.update(write_report(spec, results, out_dir, args.seed, args.jobs, command, __version__, lang,
                                  target_conflicts(spec, lang)))
    scenario_texts = {}
    for year, res in results.items():
        extends = res.scenario_path
        scenario_texts[res.output] = write_calibrated_scenario(res.output, extends, res.base, res.hm, args.seed,
                                                               res.fit, __version__)
    write_outputs(out_dir, files)
    for path, text in scenario_texts.items():
        write_outputs(path.parent, {path.name: text})
    for year, res in results.items():
        passed = sum(r.passed for r in res.fit)
        line = f"{year}: {passed} of {len(res.fit)} targets within tolerance; wrote {res.output}"
        if res.heldout is not None:
            line += f"; held-out from {res.heldout_from}: {sum(r.passed for r in res.heldout)} of {len(res.heldout)}"
        print(line)
    print(f"report: {out_dir / 'report.md'} (English: report.en.md)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "calibrate":
            return cmd_calibrate(args)
        return cmd_run(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

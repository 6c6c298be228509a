"""The ``ukp-sim`` command: run a scenario, compare scenarios under common random numbers, or
check a scenario file without running it."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import shlex
import sys
import time
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import UserError
from .experiment import DEFAULT_PRECISION_KPIS, run_many, run_replications, run_to_precision, summarise
from .io import file_sha256, write_outputs
from .kpi import DEFINITIONS, definitions_for
from .report import compare_table, kpi_table, precision_lines, savings_lines
from .scenario_loader import load_scenario, scenario_to_dict
from .targets import TARGETS_FILE, load_targets

EPILOG = """examples:
  ukp-sim run scenarios/baseline.toml
  ukp-sim run scenarios/baseline.toml --replications 30 --seed 7 --jobs 2 --out results/base
  ukp-sim run scenarios/baseline.toml --precision 0.05 --jobs 2
  ukp-sim compare scenarios/baseline.toml scenarios/example_more_korttid_melhus.toml --replications 20
  ukp-sim validate my_whatif.toml

Exit codes: 0 success, 1 unexpected failure, 2 a problem with the input (the message says which
file, which key and how to fix it), 130 interrupted (finished replications are kept)."""


def _whole_number_at_least(minimum: int, words: str):
    """An argparse type: a whole number >= ``minimum`` (``words`` says so in the error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {words}, got {value}")
        return value
    return parse


_positive_int = _whole_number_at_least(1, "at least 1")
_seed = _whole_number_at_least(0, "0 or more")


def _precision(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (e.g. 0.05 for 5 %)") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share of the mean above 0 and at most 1 (e.g. 0.05), got {text}")
    return value


def _kpi_list(text: str) -> tuple[str, ...]:
    kpis = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kpis:
        raise argparse.ArgumentTypeError("name at least one KPI, e.g. ukp_days,mean_ukp_stay")
    for k in kpis:
        if k not in DEFINITIONS:
            raise argparse.ArgumentTypeError(f"unknown KPI '{k}' (choose from {', '.join(DEFINITIONS)})")
    return kpis


def _add_replication_options(p: argparse.ArgumentParser) -> None:
    how = p.add_mutually_exclusive_group()
    how.add_argument("--replications", "-n", type=_positive_int, default=None,
                     help="independent replications (default 10); not with --precision")
    how.add_argument("--precision", "-p", type=_precision, default=None, metavar="P",
                     help="choose the replications so that the 95 %% CI half-width of the --precision-kpis is "
                     "within P of the mean (e.g. 0.05 = 5 %%); not with --replications")
    p.add_argument("--precision-kpis", type=_kpi_list, default=None, metavar="KPI,KPI",
                   help="KPIs the precision applies to, whole community and whole years (default "
                   f"{','.join(DEFAULT_PRECISION_KPIS)})")
    p.add_argument("--min-replications", type=_positive_int, default=None,
                   help="with --precision: replications to start with (default 5, at least 2)")
    p.add_argument("--max-replications", type=_positive_int, default=None,
                   help="with --precision: most replications to run (default 100)")


def _resolve_replications(args) -> None:
    """Fill in the defaults of the replication options and check that they fit together."""
    if args.precision is None:
        for opt in ("precision_kpis", "min_replications", "max_replications"):
            if getattr(args, opt) is not None:
                raise UserError(f"--{opt.replace('_', '-')} needs --precision (or leave it out)")
        if args.replications is None:
            args.replications = 10
        return
    args.precision_kpis = args.precision_kpis or DEFAULT_PRECISION_KPIS
    args.min_replications = 5 if args.min_replications is None else args.min_replications
    args.max_replications = 100 if args.max_replications is None else args.max_replications
    if args.min_replications < 2:
        raise UserError("--min-replications must be at least 2 with --precision (a confidence interval needs two)")
    if args.max_replications < args.min_replications:
        raise UserError(f"--max-replications ({args.max_replications}) is below --min-replications "
                        f"({args.min_replications})")


class _Progress:
    """A tqdm bar (shown after two seconds) whose total can grow with each batch of replications."""

    def __init__(self, quiet: bool, desc: str, per_batch: int = 1):
        self.bar = None
        self.per_batch = per_batch
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=0, desc=desc, unit="rep", delay=2.0, file=sys.stderr, leave=False)

    def set_replications(self, n: int) -> None:
        if self.bar is not None:
            self.bar.total = n * self.per_batch
            self.bar.refresh()

    @property
    def update(self):
        return self.bar.update if self.bar is not None else None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
        description="Run N replications of a scenario (or as many as --precision needs), print each KPI's mean and 95 % confidence "
        "interval beside its target and status, and write kpis.csv, kpis_monthly.csv, "
        "replications.csv and run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The numbers depend only on the scenario, --seed and --replications (or --precision and its "
        "limits), never on --jobs.",
    )
    run.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_replication_options(run)
    run.add_argument("--seed", "-s", type=_seed, default=20231, help="run seed (default 20231)")
    run.add_argument("--jobs", "-j", type=_positive_int, default=1,
                     help="worker processes (default 1; results are identical for any value)")
    run.add_argument("--out", "-o", type=Path, default=None,
                     help="output folder (default results/<scenario name>)")
    run.add_argument("--lang", choices=("nb", "en"), default="nb",
                     help="language of the printed table: nb (bokmål, default) or en")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no table")

    cmp = sub.add_parser(
        "compare", help="compare scenarios with a baseline under common random numbers",
        description="Run a baseline and one or more other scenarios with the same seed and replications "
        "(common random numbers), print each KPI's mean and 95 % CI per scenario side by side with the "
        "paired difference against the baseline and its CI (* where the CI excludes 0), and what each "
        "scenario saves (UKP-days, cost, beds), and write kpis.csv, differences.csv, replications.csv and "
        "run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The first file is the baseline. Scenario names (`name` in each file) must differ. Every file "
        "is checked before anything runs.\nexample: ukp-sim compare scenarios/baseline.toml "
        "scenarios/example_more_korttid_melhus.toml --precision 0.05 --jobs 2",
    )
    cmp.add_argument("baseline", type=Path, help="the baseline scenario file (TOML)")
    cmp.add_argument("scenarios", type=Path, nargs="+", metavar="scenario",
                     help="scenario files to compare with the baseline (TOML)")
    _add_replication_options(cmp)
    cmp.add_argument("--seed", "-s", type=_seed, default=20231, help="run seed (default 20231)")
    cmp.add_argument("--jobs", "-j", type=_positive_int, default=1,
                     help="worker processes (default 1; results are identical for any value)")
    cmp.add_argument("--out", "-o", type=Path, default=Path("results") / "compare",
                     help="output folder (default results/compare)")
    cmp.add_argument("--lang", choices=("nb", "en"), default="nb",
                     help="language of the printed tables: nb (bokmål, default) or en")
    cmp.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no tables")

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


def _targets_meta() -> dict:
    targets, rule = load_targets()
    return {
        "targets": {k: {"target": t.target, "direction": t.direction, "baseline": t.baseline,
                        "baseline_note": t.baseline_note, "scope": t.scope} for k, t in targets.items()},
        "status_rule": {"green": "target met",
                        "yellow": f"missed, but >= {rule.yellow_attainment:.0%} of the way from baseline to "
                                  f"target (or within {rule.yellow_relative:.0%} of a target equal to the baseline)",
                        "red": "otherwise", "source": str(TARGETS_FILE.name)},
        "attainment": "(baseline - mean) / (baseline - target): 0 at the baseline, 1 at the target; empty where "
                      "no target applies or the target equals the baseline",
    }


def _definitions_meta(definitions) -> dict:
    return {k: {"label_nb": d.label_nb, "label_en": d.label_en, "unit": d.unit, "definition": d.definition}
            for k, d in definitions.items()}


def _files_meta(scenario) -> list[dict]:
    return [{"path": f, "sha256": file_sha256(f)} for f in scenario.source_files]


def _run_scenarios(args, scenarios: dict, desc: str):
    """Run the scenarios (by name) with --replications or to --precision. Returns the results by
    name and the PrecisionResult (None with --replications)."""
    bar = _Progress(args.quiet, desc, per_batch=len(scenarios))
    try:
        if args.precision is None:
            bar.set_replications(args.replications)
            return run_many(scenarios, range(args.replications), args.seed, args.jobs, bar.update), None
        pres = run_to_precision(scenarios, args.seed, args.precision, args.precision_kpis, args.min_replications,
                                args.max_replications, args.jobs, bar.update, bar.set_replications)
        return pres.results, pres
    finally:
        bar.close()


def _precision_meta(pres) -> dict | None:
    return None if pres is None else pres.to_dict()


def _json_value(v):
    """A plain JSON value: numpy scalars become Python numbers, NaN becomes null."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def cmd_run(args) -> int:
    _resolve_replications(args)
    scenario = load_scenario(args.scenario)
    out = args.out or Path("results") / scenario.name
    started = time.time()
    if args.precision is None:
        bar = _Progress(args.quiet, scenario.name)
        bar.set_replications(args.replications)
        try:
            result = run_replications(scenario, args.replications, args.seed, args.jobs, bar.update)
        finally:
            bar.close()
        pres = None
    else:
        results, pres = _run_scenarios(args, {scenario.name: scenario}, scenario.name)
        result = results[scenario.name]
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
    meta = {
        "scenario": scenario.name,
        "scenario_file": str(args.scenario),
        "scenario_files": _files_meta(scenario),
        "scenario_hash": scenario.content_hash,
        "seed": args.seed,
        "replications_requested": result.requested,
        "replications_completed": len(result.completed),
        "interrupted": result.interrupted,
        "jobs": args.jobs,
        "precision": _precision_meta(pres),
        "version": __version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 2),
        "python": platform.python_version(),
        "command": shlex.join(["ukp-sim", *args.argv]),
        "confidence_intervals": "95 % t-interval of the mean over replications",
        "kpi_definitions": _definitions_meta(definitions),
        **_targets_meta(),
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
        if pres is not None:
            print(precision_lines(pres, definitions, args.lang))
            print()
    done = f"{len(result.completed)} of {result.requested} replications"
    if result.interrupted:
        print(f"interrupted: wrote the {done} that finished to {out}/", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"wrote {', '.join(files)} to {out}/ ({done}, seed {args.seed}, ukp-sim {__version__})")
    return 0


COMPARE_KPI_COLUMNS = ["scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target",
                       "attainment", "status"]
COMPARE_DIFF_COLUMNS = ["scenario", "baseline", "year", "municipality", "kpi", "mean_difference", "ci_low",
                        "ci_high", "n", "relative_change"]


def load_comparison(paths: list[Path]) -> dict:
    """Load and check every scenario file before anything runs; names must differ. Returns
    {name: (path, scenario)} in the order given (the first is the baseline)."""
    loaded: dict = {}
    for path in paths:
        scenario = load_scenario(path)
        if scenario.name in loaded:
            first = loaded[scenario.name][0]
            raise UserError(f"{path}: name: '{scenario.name}' is also the name of {first} (fix: give each "
                            "scenario its own `name`, the column that tells them apart in the results)")
        loaded[scenario.name] = (path, scenario)
    return loaded


def cmd_compare(args) -> int:
    from .compare import CRN_STATEMENT, paired_differences, savings

    _resolve_replications(args)
    loaded = load_comparison([args.baseline, *args.scenarios])
    names = list(loaded)
    base = names[0]
    scenarios = {name: sc for name, (_, sc) in loaded.items()}
    started = time.time()
    results, pres = _run_scenarios(args, scenarios, "compare")
    if any(r.interrupted for r in results.values()):
        print("interrupted: nothing written (a comparison needs every scenario's replications)", file=sys.stderr)
        return 130
    n = len(results[base].completed)
    summaries, diffs, reps, saved = [], [], [], {}
    for name in names:
        table = results[name].table
        summary = summarise(table, name)
        summaries.append(summary[summary["month"] == 0].drop(columns="month"))
        r = table[table["month"] == 0].drop(columns="month")
        r.insert(0, "scenario", name)
        reps.append(r)
        if name != base:
            d = paired_differences(results[base].table, table)
            saved[name] = savings(d)
            d = d[d["month"] == 0].drop(columns="month")
            d.insert(0, "baseline", base)
            d.insert(0, "scenario", name)
            diffs.append(d)
    kpis = pd.concat(summaries, ignore_index=True)[COMPARE_KPI_COLUMNS]
    differences = pd.concat(diffs, ignore_index=True)
    replications = pd.concat(reps, ignore_index=True)
    definitions = definitions_for(scenarios[base])
    differ = [name for name in names[1:] if definitions_for(scenarios[name]) != definitions]
    meta = {
        "baseline": base,
        "scenarios": [
            {"name": name, "scenario_file": str(path), "description": sc.description,
             "scenario_files": _files_meta(sc), "scenario_hash": sc.content_hash}
            for name, (path, sc) in loaded.items()
        ],
        "seed": args.seed,
        "replications": n,
        "jobs": args.jobs,
        "precision": _precision_meta(pres),
        "common_random_numbers": True,
        "comparison": CRN_STATEMENT,
        "version": __version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 2),
        "python": platform.python_version(),
        "command": shlex.join(["ukp-sim", *args.argv]),
        "confidence_intervals": "95 % t-interval of the mean over replications; for differences, of the mean "
                                "paired difference",
        "kpi_definitions": _definitions_meta(definitions),
        "kpi_definitions_differ": differ,
        **_targets_meta(),
        "savings": {name: [{k: _json_value(v) for k, v in row.items()} for row in sv.to_dict("records")]
                    for name, sv in saved.items()},
        "scenario_values": {name: scenario_to_dict(sc) for name, sc in scenarios.items()},
    }
    files = {
        "kpis.csv": kpis.to_csv(index=False),
        "differences.csv": differences[COMPARE_DIFF_COLUMNS].to_csv(index=False),
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
        print(f"wrote {', '.join(files)} to {args.out}/ ({len(names)} scenarios x {n} replications, seed "
              f"{args.seed}, common random numbers, ukp-sim {__version__})")
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
                                  args.candidates, args.waves, args.reps, args.final_reps,
                                  previous_dir=args.out_dir)
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
        if args.command == "compare":
            return cmd_compare(args)
        return cmd_run(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

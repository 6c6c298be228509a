"""The ``ukp-sim`` command: run a scenario, compare scenarios under common random numbers, find
what it would take to meet a KPI's target, or check a scenario file without running it."""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import pandas as pd

from ukp_sim import __version__
from ukp_sim.base.errors import UserError
from ukp_sim.analysis.runner import DEFAULT_PRECISION_KPIS, run_many, run_replications, run_to_precision, summarise
from ukp_sim.base.io import file_sha256, write_outputs
from ukp_sim.kpi import DEFINITIONS, definitions_for
from ukp_sim.report.console import compare_table, kpi_table, precision_lines, savings_lines
from ukp_sim.config.loader import load_scenario, scenario_to_dict
from ukp_sim.report.provenance import definitions_meta, provenance, targets_meta

EPILOG = """examples:
  ukp-sim run scenarios/baseline.toml
  ukp-sim run scenarios/baseline.toml --replications 30 --seed 7 --jobs 2 --out results/base
  ukp-sim run scenarios/baseline.toml --precision 0.05 --jobs 2
  ukp-sim compare scenarios/baseline.toml scenarios/example_more_korttid_melhus.toml --replications 20
  ukp-sim target scenarios/baseline_2023.toml --lever korttid_beds --municipality Trondheim --max 40
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


def _add_output_options(p: argparse.ArgumentParser, out_default: Path | None, out_help: str, printed: str) -> None:
    """--seed, --jobs, --out, --lang and --quiet, the same for every command that simulates and writes."""
    p.add_argument("--seed", "-s", type=_seed, default=20231, help="run seed (default 20231)")
    p.add_argument("--jobs", "-j", type=_positive_int, default=1,
                   help="worker processes (default 1; results are identical for any value)")
    p.add_argument("--out", "-o", type=Path, default=out_default, help=out_help)
    p.add_argument("--lang", choices=("nb", "en"), default="nb",
                   help=f"language of the printed {printed}: nb (bokmål, default) or en")
    p.add_argument("--quiet", "-q", action="store_true", help=f"no progress bar and no {printed}")


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
    _add_output_options(run, None, "output folder (default results/<scenario name>)", "table")

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
    _add_output_options(cmp, Path("results") / "compare", "output folder (default results/compare)", "tables")

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

    _add_target_parser(sub)

    study = sub.add_parser(
        "study", help="run the standard study (what `make run` does)",
        description="The standard study: the calibrated 2023 baseline against each intervention alone and the "
        "combined strategy, 2023-2026, with common random numbers; writes tables, figures (PNG and SVG) and "
        "the report (report.md/.html in bokmål, report.en.md/.html in English).",
        epilog="example: ukp-sim study experiments/standard_study.toml --jobs 2",
    )
    from ukp_sim.cli.study import add_arguments as _add_study_arguments

    _add_study_arguments(study)

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
    from ukp_sim.config.diff import validate_diff_lines

    for line in validate_diff_lines(args.scenario, s):
        print(line)
    return 0


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
        **provenance(args, started),
        "confidence_intervals": "95 % t-interval of the mean over replications",
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
    from ukp_sim.analysis.compare import CRN_STATEMENT, paired_differences, savings

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
        **provenance(args, started),
        "confidence_intervals": "95 % t-interval of the mean over replications; for differences, of the mean "
                                "paired difference",
        "kpi_definitions": definitions_meta(definitions),
        "kpi_definitions_differ": differ,
        **targets_meta(),
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
    from ukp_sim.analysis.calibration import load_calibration_spec, plausible_table, run_calibration, write_calibrated_scenario
    from ukp_sim.report.calibration_report import target_conflicts, write_report

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


# --------------------------------------------------------------------------------------------
# target: what would it take
# --------------------------------------------------------------------------------------------
def _confidence(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (e.g. 0.95 for 95 %)") from None
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0.5 and below 1 (e.g. 0.95), got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one municipality, e.g. Trondheim or Melhus,Malvik")
    return names


def _add_target_parser(sub) -> None:
    from ukp_sim.analysis.lever_search import LEVERS

    levers = "\n".join(f"  {lv.name:15s} {lv.unit}; default on {lv.default_places}" for lv in LEVERS.values())
    t = sub.add_parser(
        "target", help="what would it take: the smallest lever value that meets a KPI's target",
        description="Find the smallest value of one lever (extra korttidsplasser, discharge-team capacity, shorter "
        "korttid stays, reception every day, home-service intake) at which a KPI meets its target with the "
        "stated confidence: the one-sided confidence bound of the mean over replications is on the target's "
        "side. Every candidate runs with the same seed and replications (common random numbers); the search "
        "is a bisection that assumes the KPI moves monotonically with the lever. Prints the answer with its "
        "CI and the paired difference against lever 0, and writes search.csv (every evaluated point) and "
        "run.json to the output folder (atomically).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"levers (value 0 is the scenario as given; docs/interventions.md says what each changes):\n{levers}"
        "\n\nexample: ukp-sim target scenarios/baseline_2023.toml --lever korttid_beds --municipality Trondheim "
        "--max 40 --replications 10 --jobs 2",
    )
    t.add_argument("scenario", type=Path, help="scenario file (TOML)")
    t.add_argument("--lever", "-l", required=True, help="the lever to search: " + ", ".join(LEVERS))
    t.add_argument("--kpi", "-k", default="ukp_days", help="the KPI that must meet its target (default ukp_days)")
    t.add_argument("--municipality", "-m", type=_names, default=None, metavar="NAME[,NAME...]",
                   help="where the lever acts (default: see the levers below); reception_days takes them in "
                   "the order given")
    t.add_argument("--kpi-for", default=None, metavar="PLACE",
                   help="where the KPI is measured: Total (the whole community), a municipality, or "
                   "Municipality/Unit for korttid_los (default: where the KPI's target applies)")
    t.add_argument("--year", "-y", type=int, default=None, help="the year (default: the scenario's last year)")
    t.add_argument("--confidence", "-c", type=_confidence, default=0.95,
                   help="confidence that the target is met (default 0.95)")
    t.add_argument("--target-value", type=_number, default=None, metavar="V",
                   help="the target instead of the one in targets.toml (a KPI without one: lower is better)")
    t.add_argument("--min", type=_number, default=None, dest="lo", metavar="V",
                   help="lowest lever value searched (default 0)")
    t.add_argument("--max", type=_number, default=None, dest="hi", metavar="V",
                   help="highest lever value searched (default per lever)")
    t.add_argument("--resolution", type=_number, default=None, metavar="STEP",
                   help="grid step of a continuous lever (default korttid_stay 0.01, home_intake 0.1)")
    t.add_argument("--replications", "-n", type=_whole_number_at_least(2, "at least 2 (a confidence bound needs "
                   "two)"), default=10, help="replications per lever value (default 10)")
    _add_output_options(t, None, "output folder (default results/<scenario name>_target_<lever>)", "answer")


TARGET_WORDS = {
    "nb": {
        "total": "hele helsefellesskapet", "ci": "KI", "bound": {"<=": "øvre", ">=": "nedre"},
        "reached": "Det trengs {phrase} for at {label} ({place}) {year} skal nå målet {target} med {conf} sikkerhet.",
        "at_min": "Målet nås allerede {at} for {label} ({place}) {year}: {target} med {conf} sikkerhet.",
        "no_change": "uten endring", "at_lo": "ved laveste verdi i søket, {phrase},",
        "not_reachable": "Målet nås ikke innenfor søkeområdet: selv med {phrase} når ikke {label} ({place}) "
                         "{year} målet {target} med {conf} sikkerhet.",
        "line": "{label} {year}: {mean}, {conf} {ci} {lo} – {hi}; {side} {conf}-grense {bound} (mål {target}).",
        "diff": "Mot ingen endring (parvis, samme tilfeldige tall): {diff}, {conf} {ci} {lo} – {hi}.",
        "path": "Søket ({n} replikasjoner per verdi, seed {seed}):", "met": ("nås", "nås ikke"),
        "head": ("verdi", "snitt", "KI", "grense", ""),
    },
    "en": {
        "total": "whole community", "ci": "CI", "bound": {"<=": "upper", ">=": "lower"},
        "reached": "It takes {phrase} for {label} ({place}) {year} to meet the target {target} with {conf} "
                   "confidence.",
        "at_min": "The target is already met {at} for {label} ({place}) {year}: {target} with {conf} confidence.",
        "no_change": "without any change", "at_lo": "at the lowest value searched, {phrase},",
        "not_reachable": "Not reachable within the range: even with {phrase}, {label} ({place}) {year} does not "
                         "meet the target {target} with {conf} confidence.",
        "line": "{label} {year}: {mean}, {conf} {ci} {lo} – {hi}; one-sided {conf} {side} bound {bound} "
                "(target {target}).",
        "diff": "Against no change (paired, common random numbers): {diff}, {conf} {ci} {lo} – {hi}.",
        "path": "The search ({n} replications per value, seed {seed}):", "met": ("met", "not met"),
        "head": ("value", "mean", "CI", "bound", ""),
    },
}


def target_lines(result, definitions, lang: str = "nb") -> str:
    """The printed answer: one sentence, the KPI at the answer with its CI and bound, the paired
    difference against lever 0, and the search path."""
    from ukp_sim.kpi import TOTAL
    from ukp_sim.analysis.lever_search import NOT_REACHABLE, REACHED_AT_MIN
    from ukp_sim.report.console import fmt, fmt_diff

    w = TARGET_WORDS[lang]
    q, search = result.question, result.search
    c, setting = q.criterion, q.setting
    d = definitions[c.kpi]
    label = d.label_nb if lang == "nb" else d.label_en
    place = w["total"] if c.place == TOTAL else c.place
    conf = f"{100 * c.confidence:g} %"
    target = f"{c.direction} {fmt(c.target, d.unit)}"
    shown = search.shown
    words = {"label": label, "place": place, "year": c.year, "target": target, "conf": conf}
    if search.status == NOT_REACHABLE:
        head = w["not_reachable"].format(phrase=setting.phrase(search.hi, lang), **words)
    elif search.status == REACHED_AT_MIN:
        at = w["no_change"] if search.answer == 0 else w["at_lo"].format(phrase=setting.phrase(search.answer, lang))
        head = w["at_min"].format(at=at, **words)
    else:
        head = w["reached"].format(phrase=setting.phrase(search.answer, lang), **words)
    lines = [head, w["line"].format(mean=fmt(shown.mean, d.unit), ci=w["ci"], lo=fmt(shown.ci_low, d.unit),
                                    hi=fmt(shown.ci_high, d.unit), side=w["bound"][c.direction],
                                    bound=fmt(shown.bound, d.unit), **words)]
    diff = result.difference
    if shown.value != 0:
        lines.append(w["diff"].format(diff=fmt_diff(diff["mean_difference"], d.unit, lang), ci=w["ci"],
                                      lo=fmt_diff(diff["ci_low"], d.unit, lang),
                                      hi=fmt_diff(diff["ci_high"], d.unit, lang), conf=conf))
    lines += ["", w["path"].format(n=result.replications, seed=result.seed)]
    rows = [w["head"]] + [
        (f"{p.value:g}", fmt(p.mean, d.unit), f"{fmt(p.ci_low, d.unit)} – {fmt(p.ci_high, d.unit)}",
         fmt(p.bound, d.unit), w["met"][0] if p.met else w["met"][1])
        for p in sorted(result.points, key=lambda p: p.value)
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines += ["  " + "  ".join(r[i].rjust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def cmd_target(args) -> int:
    from ukp_sim.analysis.lever_search import (CONFIDENCE_RULE, SEARCH_RULE, START_RULE, STATUS_TEXT, find_smallest,
                               max_evaluations, prepare, search_table)
    from ukp_sim.analysis.compare import CRN_STATEMENT

    scenario = load_scenario(args.scenario)
    q = prepare(scenario, args.lever, args.kpi, municipalities=args.municipality, place=args.kpi_for,
                year=args.year, confidence=args.confidence, target_value=args.target_value, lo=args.lo,
                hi=args.hi, resolution=args.resolution)
    out = args.out or Path("results") / f"{scenario.name}_target_{q.setting.lever.name}"
    started = time.time()
    bar = _Progress(args.quiet, f"target {q.setting.lever.name}")
    bar.set_replications(args.replications * (max_evaluations(q.lo, q.hi, q.step) + (q.lo > 0)))
    try:
        result = find_smallest(q, args.replications, args.seed, args.jobs, bar.update)
    finally:
        bar.close()
    c, search = q.criterion, result.search
    shown = search.shown
    definitions = definitions_for(scenario)
    point = {k: _json_value(v) for k, v in vars(shown).items() if k != "role"}
    meta = {
        "scenario": scenario.name,
        "scenario_file": str(args.scenario),
        "scenario_files": _files_meta(scenario),
        "scenario_hash": scenario.content_hash,
        "lever": {**q.setting.lever.doc(), "municipalities": list(q.setting.places),
                  "all_municipalities": q.setting.every_municipality, "min": q.lo, "max": q.hi,
                  "step": q.step, "value_0": START_RULE},
        "kpi": c.kpi, "kpi_for": c.place, "year": c.year,
        "target": {"value": c.target, "direction": c.direction, "source": c.target_source},
        "confidence": c.confidence,
        "status": search.status,
        "status_text": STATUS_TEXT[search.status],
        "answer": search.answer,
        "answer_text": target_lines(result, definitions, "en").splitlines()[0],
        "at": point,
        "paired_difference_against_0": {k: _json_value(v) for k, v in result.difference.items()},
        "search_path": [{k: _json_value(v) for k, v in vars(p).items()} for p in result.points],
        "seed": args.seed,
        "replications": args.replications,
        "jobs": args.jobs,
        "common_random_numbers": True,
        "confidence_rule": CONFIDENCE_RULE,
        "search_rule": SEARCH_RULE,
        "comparison": CRN_STATEMENT,
        **provenance(args, started),
        "kpi_definitions": definitions_meta({c.kpi: definitions[c.kpi]}),
        **targets_meta(),
        "scenario_values": scenario_to_dict(scenario),
    }
    files = {
        "search.csv": search_table(result).to_csv(index=False),
        "run.json": json.dumps(meta, indent=2, ensure_ascii=False, default=str),
    }
    write_outputs(out, files)
    if not args.quiet:
        print(target_lines(result, definitions, args.lang))
        print()
        print(f"wrote {', '.join(files)} to {out}/ ({len(result.points)} lever values x {args.replications} "
              f"replications, seed {args.seed}, common random numbers, ukp-sim {__version__})")
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
        if args.command == "target":
            return cmd_target(args)
        if args.command == "study":
            from ukp_sim.cli.study import run_main

            return run_main(args, argv[1:], prog=("ukp-sim", "study"))
        return cmd_run(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

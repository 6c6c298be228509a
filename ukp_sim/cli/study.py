"""The ``study`` command: run a study, then write its tables, figures and reports.

``ukp-sim study`` (what ``make run`` does) and ``python experiments/standard_study.py`` both land
here. Everything is rendered in memory first and then written atomically, so a failure writes
nothing partial; Ctrl-C keeps the replications every scenario finished and writes those.

Without a study file it runs the built-in standard study, ``ukp_sim/data/experiments/
standard_study.toml``: in a source tree that is a link to ``experiments/`` (and
``ukp_sim/data/scenarios`` to ``scenarios/``), in a wheel a copy of them, so there is one source
of truth and an installed ``ukp-sim study`` needs no checkout.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ukp_sim.cli.common import console_command

DEFAULT_STUDY = Path(__file__).resolve().parent.parent / "data" / "experiments" / "standard_study.toml"
DESCRIPTION = ("The standard study: the calibrated 2023 baseline against each intervention alone and the "
               "combined strategy, 2023-2026, with common random numbers; writes kpis.csv, kpis_monthly.csv, "
               "differences.csv, savings.csv, replications.csv.gz, run.json, figures/ (PNG and SVG) and the report "
               "(report.md/.html in bokmål, report.en.md/.html in English) to the output folder.")


def add_parser(sub) -> None:
    study = sub.add_parser(
        "study", help="run the standard study (what `make run` does)", description=DESCRIPTION,
        epilog="examples:\n  ukp-sim study --jobs 2\n  ukp-sim study experiments/standard_study.toml --jobs 2 "
        "--out results/standard_study\n  ukp-sim study --only combined -n 10 --out results/quick",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(study)


def execute(args) -> int:
    return run_main(args, args.argv[1:])


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ukp_sim.cli.common import add_engine_options
    from ukp_sim.cli.worlds_options import add_world_options

    p.add_argument("study", type=Path, nargs="?", default=None,
                   help="study file (TOML; default: the built-in standard study, experiments/standard_study.toml)")
    p.add_argument("--replications", "-n", type=int, default=None,
                   help="replications per scenario (default: the study file's, 30)")
    p.add_argument("--seed", "-s", type=int, default=None, help="seed (default: the study file's)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="worker processes (default 2; results identical)")
    add_engine_options(p)
    p.add_argument("--only", default=None,
                   help="comma-separated scenario ids to run besides the baseline (default: all)")
    add_world_options(p)
    p.add_argument("--out", "-o", type=Path, default=None, help="output folder (default results/<study name>)")
    p.add_argument("--lang", choices=("nb", "en", "both"), default="both",
                   help="language of report and figures: nb (bokmål), en, or both (default)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python experiments/standard_study.py`` (the same options as ``ukp-sim study``)."""
    p = argparse.ArgumentParser(prog="standard_study", description=DESCRIPTION)
    add_arguments(p)
    return p


def _check_args(args) -> None:
    from ukp_sim.base.errors import UserError

    if args.replications is not None and args.replications < 2:
        raise UserError(f"--replications must be at least 2 (a confidence interval needs two), got {args.replications}")
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {args.jobs}")
    if args.seed is not None and args.seed < 0:
        raise UserError(f"--seed must be a non-negative whole number, got {args.seed}")


def _meta(run, args, argv: list[str]) -> dict:
    """run.json's fields; ``command`` is a ``ukp-sim study`` that works as printed (the console
    script of this environment, e.g. .venv/bin/ukp-sim) with the arguments given."""
    import platform
    from types import SimpleNamespace

    from ukp_sim.analysis.study import MILESTONE_RULE, order_scenarios
    from ukp_sim.base.io import file_sha256
    from ukp_sim.cli.worlds_options import worlds_meta
    from ukp_sim.report.provenance import provenance

    spec = run.spec
    base = spec.scenarios["baseline"]
    years = list(range(base.period.start.year, base.period.start.year + base.period.years))
    files, seen = [], set()
    for sc in spec.scenarios.values():
        for f in (str(spec.path), *sc.source_files):
            if f not in seen:
                seen.add(f)
                files.append({"path": _rel(f), "sha256": file_sha256(f)})
    return {
        "study": spec.name,
        "study_file": _rel(spec.path),
        "description": spec.description,
        "scenarios": order_scenarios(spec.scenarios),
        "scenario_hashes": {sid: sc.content_hash for sid, sc in spec.scenarios.items()},
        "scenario_files": files,
        "period": {k: str(v) for k, v in spec.period.items()},
        "years": years,
        "municipalities": list(base.municipalities),
        "seed": spec.seed,
        "replications": len(run.replications),
        "replications_requested": args.replications or spec.replications,
        "interrupted": run.interrupted,
        "jobs": args.jobs,
        "precision": None if run.precision is None else run.precision.to_dict(),
        **provenance(SimpleNamespace(argv=argv), time.time() - run.seconds, console_command("study")),
        "platform": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "common_random_numbers": True,
        "confidence_intervals": "95 % t-interval of the mean over replications; differences and savings: of the "
                                "mean paired difference",
        **worlds_meta(run.maker, _rel(run.worlds_file) if run.worlds else None),
        "milestones": MILESTONE_RULE,
    }


def _rel(path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def render(run, tables, meta: dict, langs: tuple[str, ...]) -> dict[str, str | bytes]:
    """Every output file, in memory (nothing is written here)."""
    import json

    import pandas as pd

    from ukp_sim.analysis.calibration_check import calibration_check
    from ukp_sim.analysis.study import achieved_half_widths
    from ukp_sim.config.loader import scenario_to_dict
    from ukp_sim.kpi import definitions_for
    from ukp_sim.report.context import study_context
    from ukp_sim.report.provenance import definitions_meta, targets_meta
    from ukp_sim.report.study_figures import FIGURES, caption, figure_path, study_figures
    from ukp_sim.report.study_report import T, build_markdown, to_html
    from ukp_sim.report.world_figures import STEMS as WORLD_STEMS
    from ukp_sim.report.world_figures import world_figure_files

    defs = definitions_for(run.spec.scenarios["baseline"])
    meta = {**meta, "calibration_check": calibration_check(tables.kpis, run.spec.calibration, meta["years"][0])}
    full_meta = {**meta, "kpi_definitions": definitions_meta(defs), **targets_meta(),
                 "precision_achieved": achieved_half_widths(tables.kpis).to_dict("records"),
                 "scenario_values": {sid: scenario_to_dict(sc) for sid, sc in run.spec.scenarios.items()}}
    files: dict[str, str | bytes] = {
        "kpis.csv": tables.kpis.to_csv(index=False),
        "kpis_monthly.csv": tables.monthly.to_csv(index=False),
        "differences.csv": tables.differences.to_csv(index=False),
        "savings.csv": tables.savings.to_csv(index=False),
        "replications.csv.gz": _gzip(tables.replications.to_csv(index=False)),
    }
    if tables.sensitivity is not None:
        files["sensitivity.csv"] = tables.sensitivity.to_csv(index=False)
    if run.worlds:  # each world's inputs: its calibrated parameters and its draws of the effects
        inputs = pd.DataFrame(run.world_points, columns=list(run.world_parameters))
        files["worlds.csv"] = inputs.assign(world=list(run.worlds))[["world", *run.world_parameters]].to_csv(
            index=False)
    context = study_context(run.spec.scenarios["baseline"], meta["years"])
    for lang in langs:
        images = study_figures(tables.kpis, tables.monthly, tables.savings, lang, context)
        over = world_figure_files(tables.differences, tables.sensitivity, context.goal_year, lang, tables.kpis,
                                  context)
        images.update(over)
        files.update(images)
        figures = [(figure_path(f.stem, lang, "png"), caption(f.stem, lang, context)) for f in FIGURES]
        figures += [(figure_path(stem, lang, "png"), caption(stem, lang, context)) for stem in WORLD_STEMS
                    if figure_path(stem, lang, "png") in over]
        text = build_markdown(tables, meta, defs, run.spec.scenarios, figures, lang)
        suffix = "" if lang == "nb" else f".{lang}"
        files[f"report{suffix}.md"] = text
        files[f"report{suffix}.html"] = to_html(text, images, lang, T[lang]["title"])
    files["run.json"] = json.dumps(full_meta, indent=2, ensure_ascii=False, default=str)
    return files


def _gzip(text: str) -> bytes:
    import gzip

    return gzip.compress(text.encode("utf-8"), mtime=0)  # mtime 0: the same numbers give the same bytes


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    return run_main(args, argv)


def run_main(args, argv: list[str]) -> int:
    """Run the study ``args`` describe; ``argv`` (the arguments after the command) goes into the
    reproduce command."""
    from ukp_sim import __version__
    from ukp_sim.analysis.study import load_study, run_study, study_tables
    from ukp_sim.base.errors import UserError
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import engine_meta, kept_in_cache, make_runner, report_cache
    from ukp_sim.cli.worlds_options import worlds_maker
    from ukp_sim.report.labels import LANGS

    try:
        _check_args(args)
        only = None if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
        spec = load_study(args.study or DEFAULT_STUDY, only)
        if args.seed is not None:
            spec = _with_seed(spec, args.seed)
        worlds = worlds_maker(args, spec.calibration, spec.files["baseline"], str(spec.path), spec.seed)
        if worlds is not None and spec.precision is not None and args.replications is None:
            raise UserError(f"{spec.path}: [precision] does not apply with --worlds, which runs the same replications "
                            "in every world (give --replications N, or remove [precision])")
        out = args.out or Path("results") / spec.name
        langs = LANGS if args.lang == "both" else (args.lang,)
        bar = None
        n = args.replications or spec.replications
        if not args.quiet:
            from tqdm import tqdm

            runs = n * len(spec.scenarios) * (len(worlds.worlds) if worlds else 1)
            bar = tqdm(total=runs, desc=spec.name, unit="run", delay=2.0, file=sys.stderr,
                       leave=False)
        started = time.time()
        try:
            runner = make_runner(args)
            with runner:  # one backend for every batch (--precision runs several)
                run = run_study(spec, runner, args.replications, bar.update if bar else None,
                                (lambda k: setattr(bar, "total", k * len(spec.scenarios))) if bar else None, worlds)
        finally:
            if bar:
                bar.close()
        report_cache(args, runner)
        if not run.replications:
            print(f"interrupted before any replication finished in every scenario; nothing written; "
                  f"{kept_in_cache(runner)}", file=sys.stderr)
            return 130
        if len(run.replications) < 2:
            print(f"interrupted after one replication: a confidence interval needs two; nothing written; "
                  f"{kept_in_cache(runner)}", file=sys.stderr)
            return 130
        tables = study_tables(run)
        meta = {**_meta(run, args, argv), **engine_meta(runner)}
        files = render(run, tables, meta, langs)
        write_outputs(out, files)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted while writing; nothing written", file=sys.stderr)
        return 130
    took = time.time() - started
    status = "interrupted: " if run.interrupted else ""
    if not args.quiet or run.interrupted:
        in_worlds = f" in each of {len(run.worlds)} worlds" if run.worlds else ""
        print(f"{status}wrote {len(files)} files to {out}/ ({len(run.spec.scenarios)} scenarios x "
              f"{len(run.replications)} replications{in_worlds}, seed {run.spec.seed}, {took / 60:.1f} min, "
              f"ukp-sim {__version__})",
              file=sys.stderr if run.interrupted else sys.stdout)
        print(f"report: {out / 'report.html'}" + (f" (English: {out / 'report.en.html'})" if "en" in langs and
                                                  "nb" in langs else ""))
    return 130 if run.interrupted else 0


def _with_seed(spec, seed: int):
    import dataclasses

    return dataclasses.replace(spec, seed=seed)

"""``ukp-sim target``: what would it take -- the smallest value of one lever at which a KPI meets
its target with the stated confidence; search.csv and run.json."""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from ukp_sim.cli.common import add_output_options, help_when_shown, share, whole_number_at_least
from ukp_sim.cli.worlds_options import add_world_options

_confidence = share("e.g. 0.95 for 95 %", 0.5, True, "at least 0.5 and below 1 (e.g. 0.95)")
_world_share = share("e.g. 0.9 for 90 %", 0.0, False, "a share above 0 and at most 1 (e.g. 0.9)")


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


def _levers_epilog() -> str:
    from ukp_sim.analysis.lever_search import LEVERS

    levers = "\n".join(f"  {lv.name:15s} {lv.unit}; default on {lv.default_places}" for lv in LEVERS.values())
    return (f"levers (value 0 is the scenario as given; docs/interventions.md says what each changes):\n{levers}"
            "\n\nexample: ukp-sim target scenarios/baseline_2023.toml --lever korttid_beds --municipality Trondheim "
            "--max 40 --replications 10 --jobs 2")


def _lever_help() -> str:
    from ukp_sim.analysis.lever_search import LEVERS

    return "the lever to search: " + ", ".join(LEVERS)


def add_parser(sub) -> None:
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
        epilog=_levers_epilog,  # a function: the lever list needs the analysis layer, loaded only for --help
    )
    t.add_argument("scenario", type=Path, help="scenario file (TOML)")
    lever = t.add_argument("--lever", "-l", required=True, help="the lever to search (see the levers below)")
    help_when_shown(lever, _lever_help)
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
    t.add_argument("--replications", "-n", type=whole_number_at_least(2, "at least 2 (a confidence bound needs "
                   "two)"), default=10, help="replications per lever value (default 10)")
    add_world_options(t, calibration=True)
    t.add_argument("--world-share", type=_world_share, default=0.9, metavar="SHARE",
                   help="over worlds: the answer must meet the target in at least this share of the worlds "
                   "(default 0.9, the share the study calls robust)")
    add_output_options(t, None, "output folder (default results/<scenario name>_target_<lever>)", "answer")


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
    from ukp_sim.analysis.lever_search import NOT_REACHABLE, REACHED_AT_MIN
    from ukp_sim.kpi import TOTAL
    from ukp_sim.report.console import fmt, fmt_diff

    w = TARGET_WORDS[lang]
    q, search = result.question, result.search
    c, setting = q.criterion, q.setting
    d = definitions[c.kpi]
    label = d.label_nb if lang == "nb" else d.label_en
    place = w["total"] if c.place == TOTAL else c.place
    conf = f"{100 * c.confidence:g} %"
    target = f"{c.direction} {fmt(c.target, d.unit, lang)}"
    shown = search.shown
    words = {"label": label, "place": place, "year": c.year, "target": target, "conf": conf}
    if search.status == NOT_REACHABLE:
        head = w["not_reachable"].format(phrase=setting.phrase(search.hi, lang), **words)
    elif search.status == REACHED_AT_MIN:
        at = w["no_change"] if search.answer == 0 else w["at_lo"].format(phrase=setting.phrase(search.answer, lang))
        head = w["at_min"].format(at=at, **words)
    else:
        head = w["reached"].format(phrase=setting.phrase(search.answer, lang), **words)
    lines = [head, w["line"].format(mean=fmt(shown.mean, d.unit, lang), ci=w["ci"], lo=fmt(shown.ci_low, d.unit, lang),
                                    hi=fmt(shown.ci_high, d.unit, lang), side=w["bound"][c.direction],
                                    bound=fmt(shown.bound, d.unit, lang), **words)]
    diff = result.difference
    if shown.value != 0:
        lines.append(w["diff"].format(diff=fmt_diff(diff["mean_difference"], d.unit, lang), ci=w["ci"],
                                      lo=fmt_diff(diff["ci_low"], d.unit, lang),
                                      hi=fmt_diff(diff["ci_high"], d.unit, lang), conf=conf))
    lines += ["", w["path"].format(n=result.replications, seed=result.seed)]
    rows = [w["head"]] + [
        (f"{p.value:g}", fmt(p.mean, d.unit, lang), f"{fmt(p.ci_low, d.unit, lang)} – {fmt(p.ci_high, d.unit, lang)}",
         fmt(p.bound, d.unit, lang), w["met"][0] if p.met else w["met"][1])
        for p in sorted(result.points, key=lambda p: p.value)
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines += ["  " + "  ".join(r[i].rjust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def execute(args) -> int:
    import json
    import time

    from ukp_sim import __version__
    from ukp_sim.analysis.compare import CRN_STATEMENT
    from ukp_sim.analysis.lever_search import (
        STATUS_TEXT,
        find_smallest,
        max_evaluations,
        prepare,
        search_table,
    )
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import Progress, json_value, make_runner, report_cache
    from ukp_sim.cli.target_meta import question_meta, search_meta
    from ukp_sim.cli.worlds_options import BUNDLED_CALIBRATION, worlds_maker
    from ukp_sim.config.loader import load_scenario, scenario_to_dict
    from ukp_sim.kpi import definitions_for
    from ukp_sim.report.provenance import definitions_meta, provenance, targets_meta

    maker = worlds_maker(args, args.calibration or BUNDLED_CALIBRATION, args.scenario, "--calibration", args.seed)
    if maker is not None:
        from ukp_sim.cli.target_worlds import execute_over_worlds

        return execute_over_worlds(args, maker)
    scenario = load_scenario(args.scenario)
    q = prepare(scenario, args.lever, args.kpi, municipalities=args.municipality, place=args.kpi_for,
                year=args.year, confidence=args.confidence, target_value=args.target_value, lo=args.lo,
                hi=args.hi, resolution=args.resolution)
    out = args.out or Path("results") / f"{scenario.name}_target_{q.setting.lever.name}"
    started = time.time()
    bar = Progress(args.quiet, f"target {q.setting.lever.name}")
    bar.set_replications(args.replications * (max_evaluations(q.lo, q.hi, q.step) + (q.lo > 0)))
    try:
        with make_runner(args) as runner:  # one backend for every lever value searched
            result = find_smallest(q, args.replications, args.seed, runner, bar.update)
    finally:
        bar.close()
    report_cache(args, runner)
    c, search = q.criterion, result.search
    shown = search.shown
    definitions = definitions_for(scenario)
    point = {k: json_value(v) for k, v in vars(shown).items() if k != "role"}
    meta = {
        **question_meta(q, args, scenario),
        "scenario_hash": scenario.content_hash,
        "status": search.status,
        "status_text": STATUS_TEXT[search.status],
        "answer": search.answer,
        "answer_text": target_lines(result, definitions, "en").splitlines()[0],
        "at": point,
        "paired_difference_against_0": {k: json_value(v) for k, v in result.difference.items()},
        "search_path": [{k: json_value(v) for k, v in vars(p).items()} for p in result.points],
        **search_meta(args, runner),
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

"""``ukp-sim target --worlds N``: the lever search in every plausible world, and the value that meets
the target in a stated share of them (analysis/lever_worlds.py); answers.csv, search.csv, run.json."""
from __future__ import annotations

import math
from pathlib import Path

WORDS = {
    "nb": {
        "reached": "Over {n} plausible verdener: det trengs {phrase} for at {label} ({place}) {year} skal nå målet "
                   "{target} med {conf} sikkerhet i minst {share} av verdenene (nås i {met} av dem).",
        "not_reachable": "Over {n} plausible verdener: målet {target} for {label} ({place}) {year} nås ikke i minst "
                         "{share} av verdenene innenfor søkeområdet; selv {phrase} er ikke nok i {out} av dem.",
        "spread": "Per verden: {lo} – {mid} – {hi} (min – median – maks); utenfor rekkevidde i {out} av {n} "
                  "verdener.",
        "differ": "Verdenene passer like godt til dataene, men trenger ulik dose: parameterne dataene ikke avgjør, "
                  "avgjør svaret.",
        "head": ("verden", "svar", "snitt ved svaret", "grense", ""),
        "out_of_range": "ikke nådd", "met": ("nås", "nås ikke"), "total": "hele helsefellesskapet",
    },
    "en": {
        "reached": "Over {n} plausible worlds: it takes {phrase} for {label} ({place}) {year} to meet the target "
                   "{target} with {conf} confidence in at least {share} of the worlds (met in {met} of them).",
        "not_reachable": "Over {n} plausible worlds: the target {target} for {label} ({place}) {year} is not met in "
                         "at least {share} of the worlds within the range; even {phrase} is not enough in {out} of "
                         "them.",
        "spread": "Per world: {lo} – {mid} – {hi} (min – median – max); out of reach within the range in {out} of {n} "
                  "worlds.",
        "differ": "The worlds fit the data equally well but need different doses: the parameters the data cannot "
                  "settle decide the answer.",
        "head": ("world", "answer", "mean at the answer", "bound", ""),
        "out_of_range": "not reached", "met": ("met", "not met"), "total": "whole community",
    },
}


def _as_grid(v: float):
    """A whole number as an int (8, not 8.0), as the single-world answer prints it."""
    return int(v) if float(v).is_integer() else v


def lines_over_worlds(results: dict, answer, definitions, lang: str = "nb") -> str:
    """The printed answer over worlds: one sentence, the per-world spread, one line per world."""
    from ukp_sim.kpi import TOTAL
    from ukp_sim.report.console import fmt
    from ukp_sim.report.numbers import format_percent

    w = WORDS[lang]
    q = next(iter(results.values())).question
    c, setting = q.criterion, q.setting
    d = definitions[c.kpi]
    words = {"label": d.label_nb if lang == "nb" else d.label_en, "place": w["total"] if c.place == TOTAL else c.place,
             "year": c.year, "target": f"{c.direction} {fmt(c.target, d.unit, lang)}",
             "conf": format_percent(c.confidence, 0, lang), "share": format_percent(answer.share, 0, lang),
             "n": len(answer.worlds), "out": answer.unreachable}

    def value(v: float) -> str:
        return w["out_of_range"] if math.isinf(v) else f"{v:g}"

    if math.isinf(answer.value):
        head = w["not_reachable"].format(phrase=setting.phrase(q.hi, lang), **words)
    else:
        head = w["reached"].format(phrase=setting.phrase(_as_grid(answer.value), lang),
                                   met=format_percent(answer.met_share, 0, lang), **words)
    lo, mid, hi = answer.quantiles()
    spread = w["spread"].format(lo=value(lo), mid=value(mid), hi=value(hi), **words)
    lines = [head, spread + (" " + w["differ"] if lo != hi else ""), ""]
    rows = [w["head"]]
    for world, r in results.items():
        p = r.search.shown
        rows.append((str(world), value(math.inf if r.search.status == "not_reachable" else r.search.answer),
                     fmt(p.mean, d.unit, lang), fmt(p.bound, d.unit, lang), w["met"][0] if p.met else w["met"][1]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines += ["  " + "  ".join(r[i].rjust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def execute_over_worlds(args, maker) -> int:
    """``target`` with ``--worlds``/``--world``: ``maker`` puts the scenario into each world."""
    import json
    import time

    from ukp_sim import __version__
    from ukp_sim.analysis.lever_search import (
        max_evaluations,
        prepare,
    )
    from ukp_sim.analysis.lever_worlds import (
        WORLD_SHARE_RULE,
        answers_table,
        find_smallest_over_worlds,
        search_table_over_worlds,
    )
    from ukp_sim.base.io import write_outputs
    from ukp_sim.cli.common import Progress, make_runner, report_cache
    from ukp_sim.cli.target_meta import question_meta, search_meta
    from ukp_sim.cli.worlds_options import worlds_meta
    from ukp_sim.config.loader import build_scenario
    from ukp_sim.kpi import definitions_for
    from ukp_sim.report.provenance import definitions_meta, provenance, targets_meta

    questions, scenarios = {}, {}
    for k, world in enumerate(maker.worlds.ids):
        data, files, prov = maker.scenario_data(args.scenario, k)
        scenarios[world] = build_scenario(data, args.scenario, files, prov)
        questions[world] = prepare(scenarios[world], args.lever, args.kpi, municipalities=args.municipality,
                                   place=args.kpi_for, year=args.year, confidence=args.confidence,
                                   target_value=args.target_value, lo=args.lo, hi=args.hi,
                                   resolution=args.resolution)
    q = next(iter(questions.values()))
    first = next(iter(scenarios.values()))
    out = args.out or Path("results") / f"{first.name}_target_{q.setting.lever.name}_worlds"
    started = time.time()
    bar = Progress(args.quiet, f"target {q.setting.lever.name} x {len(questions)} worlds")
    bar.set_replications(len(questions) * args.replications * (max_evaluations(q.lo, q.hi, q.step) + (q.lo > 0)))
    try:
        with make_runner(args) as runner:
            results, answer = find_smallest_over_worlds(questions, args.replications, args.seed, runner,
                                                        args.world_share, bar.update)
    finally:
        bar.close()
    report_cache(args, runner)
    c = q.criterion
    definitions = definitions_for(first)
    lo, mid, hi = answer.quantiles()

    def finite(v: float):
        return None if math.isinf(v) else v

    meta = {
        **question_meta(q, args, first),
        "world_share": answer.share,
        "answer_over_worlds": {"value": finite(answer.value), "reachable": not math.isinf(answer.value),
                               "share_of_worlds_met": answer.met_share, "per_world_min": finite(lo),
                               "per_world_median": finite(mid), "per_world_max": finite(hi),
                               "worlds_out_of_reach": answer.unreachable},
        "answer_text": lines_over_worlds(results, answer, definitions, "en").splitlines()[0],
        **search_meta(args, runner),
        "world_share_rule": WORLD_SHARE_RULE,
        **worlds_meta(maker),
        **provenance(args, started),
        "kpi_definitions": definitions_meta({c.kpi: definitions[c.kpi]}),
        **targets_meta(),
    }
    files = {
        "answers.csv": answers_table(results).to_csv(index=False),
        "search.csv": search_table_over_worlds(results).to_csv(index=False),
        "run.json": json.dumps(meta, indent=2, ensure_ascii=False, default=str),
    }
    write_outputs(out, files)
    if not args.quiet:
        print(lines_over_worlds(results, answer, definitions, args.lang))
        print()
        print(f"wrote {', '.join(files)} to {out}/ ({len(results)} worlds, {args.replications} replications per "
              f"lever value, seed {args.seed}, common random numbers, ukp-sim {__version__})")
    return 0

"""run.json's record of a ``target`` search, shared by the search in one world (``target``) and in
every world (``target_worlds``): the question asked, and how it was searched."""
from __future__ import annotations


def question_meta(q, args, scenario) -> dict:
    """run.json's record of the question a search answered (one world or every world)."""
    from ukp_sim.analysis.lever_search import START_RULE
    from ukp_sim.cli.common import files_meta

    c = q.criterion
    return {
        "scenario": scenario.name,
        "scenario_file": str(args.scenario),
        "scenario_files": files_meta(scenario),
        "lever": {**q.setting.lever.doc(), "municipalities": list(q.setting.places),
                  "all_municipalities": q.setting.every_municipality, "min": q.lo, "max": q.hi,
                  "step": q.step, "value_0": START_RULE},
        "kpi": c.kpi, "kpi_for": c.place, "year": c.year,
        "target": {"value": c.target, "direction": c.direction, "source": c.target_source},
        "confidence": c.confidence,
    }


def search_meta(args, runner) -> dict:
    """How the search ran: seed, replications, backend and the rules it followed."""
    from ukp_sim.analysis.lever_search import CONFIDENCE_RULE, SEARCH_RULE
    from ukp_sim.cli.common import engine_meta

    return {
        "seed": args.seed,
        "replications": args.replications,
        "jobs": args.jobs,
        **engine_meta(runner),
        "common_random_numbers": True,
        "confidence_rule": CONFIDENCE_RULE,
        "search_rule": SEARCH_RULE,
    }

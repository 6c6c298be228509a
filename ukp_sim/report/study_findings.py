"""The key findings of the study report, written from the tables (nothing here is typed in)."""
from __future__ import annotations

import pandas as pd

from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import TOTAL
from ukp_sim.report.context import StudyContext
from ukp_sim.report.locale import kpi_label, scenario_label, status_label, words
from ukp_sim.report.study_costs import cost_finding
from ukp_sim.report.study_sections import STRATEGY_KPIS, baseline_misfits, place
from ukp_sim.report.study_values import direction, find_row, interval, num, over_worlds, pct, value_text
from ukp_sim.report.world_findings import municipal_harms, robustness


def findings(kpis: pd.DataFrame, savings: pd.DataFrame, defs: dict, scenarios: list[str], years: list[int],
             lang: str, ctx: StudyContext, diffs: pd.DataFrame | None = None,
             sensitivity: pd.DataFrame | None = None) -> list[str]:
    """One sentence per finding: the baseline and the combined strategy in the goal year, the
    baseline year's misfits, the largest single intervention, those without a detectable effect
    (in one world; over worlds, each measure's robustness instead), what the combined strategy
    saves over the strategy period, and the measures that raise a municipality's UKP-days."""
    targets, _ = load_targets()
    f = words(lang, "findings")
    worlds = over_worlds(kpis)
    out = [f["worlds_note"].format(worlds=int(kpis["worlds"].max()))] if worlds else []
    y_goal = ctx.goal_year
    base = find_row(kpis, "baseline", y_goal, "ukp_days", TOTAL)
    t = targets["ukp_days"]
    if base is not None:
        out.append(f["base"].format(ci=interval(base, "days", lang, worlds),
                                    year=y_goal, op=direction(t.direction), target=num(t.target, 0, lang)))
    if "combined" in scenarios:
        c = find_row(kpis, "combined", y_goal, "ukp_days", TOTAL)
        if c is not None:
            met = [k for k in STRATEGY_KPIS
                   if (r := find_row(kpis, "combined", y_goal, k, place(k, ctx))) is not None
                   and r["status"] == "green"]
            out.append(f["combined"].format(
                ci=interval(c, "days", lang, worlds), year=y_goal,
                pct=pct(c["attainment"], lang), status=status_label(c["status"], lang),
                met=", ".join(kpi_label(k, lang, defs) for k in met) or f["none"]))
    misfits = baseline_misfits(kpis, years[0], ctx)
    if misfits:
        items = [f["misfit_item"].format(kpi=kpi_label(k, lang, defs), sim=value_text(sim, defs[k].unit, lang),
                                         obs=value_text(obs, defs[k].unit, lang)) for k, sim, obs in misfits]
        out.append(f["misfit"].format(year=years[0], items="; ".join(items)))
    span = [p for p in savings["period"].unique() if "–" in str(p)]
    if span:
        s = savings[(savings["period"] == span[0]) & (savings["quantity"] == "ukp_days_saved")]
        single = s[s["scenario"] != "combined"].sort_values("mean", ascending=False)
        if not single.empty:
            b = single.iloc[0]
            out.append(f["best"].format(period=span[0], name=scenario_label(b["scenario"], lang),
                                        ci=interval(b, "days", lang, worlds)))
            none = [scenario_label(r["scenario"], lang) for _, r in single.iterrows() if r["ci_low"] <= 0]
            if none and not worlds:  # over worlds "no effect" could hide effects of both signs
                out.append(f["no_effect"].format(period=span[0], names=", ".join(none)))
        if "combined" in scenarios:
            c = savings[(savings["period"] == span[0]) & (savings["scenario"] == "combined")].set_index("quantity")
            if {"ukp_days_saved", "cost_saved_nok"} <= set(c.index):
                d, k = c.loc["ukp_days_saved"], c.loc["cost_saved_nok"]
                out.append(f["combined_saves"].format(
                    days=interval(d, "days", lang, worlds), cost=interval(k, "NOK", lang, worlds), period=span[0]))
            money = cost_finding(savings, lang)
            if money:
                out.append(money)
    if diffs is not None:
        out += robustness(diffs, sensitivity, scenarios, y_goal, lang)
        out += municipal_harms(diffs, scenarios, y_goal, lang)
    return out

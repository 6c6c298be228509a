"""Net cost and who pays (report section 5.3): the døgnpris saved, what the measures cost each payer
and each payer's net, from the savings table's cost rows (analysis/costs.py), and the prices used,
from the scenarios ([costs] and each measure's own prices). Over worlds an interval is the 95 % prediction interval over
worlds and replications; in one world the 95 % CI of the mean."""
from __future__ import annotations

import pandas as pd

from ukp_sim.analysis.costs import enabled_measures, not_priced, partly_priced
from ukp_sim.interventions import registry
from ukp_sim.report.locale import scenario_label, words
from ukp_sim.report.numbers import PERCENT
from ukp_sim.report.study_values import interval, md_table, num, over_worlds

# The columns of the table: savings quantity, in this order.
COLUMNS = ("cost_saved_nok", "intervention_cost_municipality_nok", "intervention_cost_hospital_nok",
           "net_saving_municipality_nok", "net_saving_hospital_nok", "net_saving_community_nok")


def strategy_span(savings: pd.DataFrame) -> str | None:
    """The period over all strategy years ('2024–2026'), or None with one strategy year."""
    return next((str(p) for p in savings["period"].unique() if "–" in str(p)), None)


def cost_section(savings: pd.DataFrame, scenarios: list[str], lang: str, scenarios_obj: dict) -> str:
    """The net-cost table over the strategy years and the note with the prices it used; empty
    when the savings table has no cost rows."""
    if not savings["quantity"].eq("intervention_cost_nok").any():
        return ""
    w = words(lang, "costs")
    period = strategy_span(savings) or str(savings["period"].iloc[-1])
    sel = savings[savings["period"].astype(str) == period]
    worlds = over_worlds(savings)
    rows = []
    for sid in scenarios:
        if sid == "baseline":
            continue
        mine = sel[sel["scenario"] == sid].set_index("quantity")
        s = scenarios_obj.get(sid)
        free = not_priced(s) if s is not None else []
        all_free = bool(free) and set(free) == set(enabled_measures(s))
        cells = []
        for q in COLUMNS:
            if q not in mine.index or (all_free and q != "cost_saved_nok"):
                cells.append("–")  # no price for anything this scenario does: its cost is unknown, not 0
                continue
            text = interval(mine.loc[q], "NOK", lang, worlds)
            cells.append(text + (" †" if free and q != "cost_saved_nok" else ""))
        rows.append([scenario_label(sid, lang), *cells])
    base = scenarios_obj["baseline"].costs
    note = w["note"].format(
        period=period, interval=w["pi"] if worlds else w["ci"],
        bed=num(base.korttid_bed_day_nok, 0, lang), fte=num(base.nurse_fte_year_nok, 0, lang),
        hours=num(base.fte_hours_per_year, 0, lang),
        own="; ".join(own_prices(scenarios_obj, lang)) or "–",
        not_costed="; ".join(unpriced(scenarios_obj, lang)) or "–")
    table = md_table(list(w["header"]), rows)
    return f"**{w['title'].format(period=period)}**\n\n{table}\n\n{note} {w['dagger']}"


def dognpris_assumption(scenario, years: list[int], lang: str) -> str:
    """The døgnpris each simulated year uses, and whether the scenario gives it or it is grown."""
    w = words(lang, "costs")
    given = {int(y) for y in scenario.costs.dognpris}
    growth = num(100 * scenario.costs.dognpris_growth, 1, lang) + PERCENT[lang]
    how = {y: w["given"] if y in given else w["grown"].format(growth=growth) for y in years}
    items = [f"{y} {num(scenario.dognpris(y), 0, lang)} ({how[y]})" for y in years]
    return w["dognpris"].format(prices="; ".join(items))


def own_prices(scenarios_obj: dict, lang: str) -> list[str]:
    """'Discharge team: `fte_per_place` 0.25, `payer` hospital' for each priced measure that some
    scenario switches on, with the values of the first scenario that does."""
    out = []
    for p in registry.plugins():
        params = next((getattr(s.interventions, p.id) for s in scenarios_obj.values()
                       if getattr(s.interventions, p.id).enabled), None)
        if params is not None and p.cost_fields:
            values = ", ".join(f"`{f}` {_value(getattr(params, f), lang)}" for f in p.cost_fields)
            out.append(f"{scenario_label(p.id, lang)}: {values}")
    return out


def unpriced(scenarios_obj: dict, lang: str) -> list[str]:
    """What some scenario switches on that has no price: whole measures, then the unpriced part of
    priced ones ('Escalation plan: beds still occupied after an escalation closes')."""
    whole = dict.fromkeys(i for s in scenarios_obj.values() for i in not_priced(s))
    part = dict.fromkeys(i for s in scenarios_obj.values() for i in partly_priced(s))
    return ([scenario_label(i, lang) for i in whole]
            + [f"{scenario_label(i, lang)}: {registry.get(i).unpriced[lang]}" for i in part])


def _value(v, lang: str) -> str:
    if isinstance(v, float):
        return num(v, 2 if abs(v) < 10 else 0, lang)
    return str(v)


def cost_finding(savings: pd.DataFrame, lang: str) -> str | None:
    """One sentence on what the combined strategy costs and who gains or pays, or None."""
    span = strategy_span(savings)
    sel = savings[(savings["scenario"] == "combined") & (savings["period"].astype(str) == str(span))]
    c = sel.set_index("quantity")
    needed = ("cost_saved_nok", "intervention_cost_nok", "net_saving_municipality_nok", "net_saving_hospital_nok",
              "net_saving_community_nok")
    if span is None or not set(needed) <= set(c.index):
        return None
    f = words(lang, "costs")
    worlds = over_worlds(savings)
    why = f["hospital_why"] if c.loc["cost_saved_nok", "mean"] > 0 else ""  # only when it does lose døgnpris
    return f["finding"].format(period=span, hospital_why=why,
                               **{q: interval(c.loc[q], "NOK", lang, worlds) for q in needed})

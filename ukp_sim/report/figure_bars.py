"""Figures 4-6 of the study: UKP-days saved per year, goal attainment in the target year, and the
cost saved over the strategy period."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ukp_sim.config.targets import load_targets
from ukp_sim.report.context import StudyContext
from ukp_sim.report.figure_style import (
    STATUS_COLOURS,
    STATUS_TEXT,
    STRATEGY_KPIS,
    YEAR_SHADES,
    bar_labels,
    by_effect,
    error_bars,
    kpi_matrix_axes,
    kpi_place,
    legend_below,
    new_figure,
    no_data,
    number_formatter,
    ordered_scenarios,
    scenario_ticks,
    styles_for,
    text,
    value_span,
)
from ukp_sim.report.locale import status_label
from ukp_sim.report.numbers import format_number, format_percent


def effect_ukp_days(s: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    rows = s[(s["quantity"] == "ukp_days_saved") & (s["scenario"] != "baseline")]
    yearly = sorted(p for p in rows["period"].unique() if p.isdigit())
    periods = yearly or sorted(rows["period"].unique())
    order = ordered_scenarios(rows["scenario"].unique())
    total = rows[rows["period"] == ctx.period].set_index("scenario")["mean"]
    last = rows[rows["period"] == (periods[-1] if periods else "")].set_index("scenario")["mean"]
    order = by_effect(order, total if len(total) else last)
    n, p = len(order), max(len(periods), 1)
    fig = new_figure(11.5, max(4.2, 0.24 * n * p + 0.3 * n + 2.0))
    ax = fig.subplots()
    if not n:
        no_data(ax, lang)
        fig.suptitle(t["effect_title"], fontsize=13, fontweight="bold")
        return fig
    height = 0.8 / p
    centres = np.arange(n)[::-1].astype(float)
    shown = rows[rows["period"].isin(periods)]
    lo_all, hi_all = value_span(shown["ci_low"], shown["ci_high"], shown["mean"])
    span = (hi_all - lo_all) or 1.0
    handles = []
    for j, period in enumerate(periods):
        r = rows[rows["period"] == period].set_index("scenario").reindex(order)
        y = centres + (p - 1) / 2 * height - j * height
        colour = YEAR_SHADES[min(j, len(YEAR_SHADES) - 1) if yearly else 2]
        h = ax.barh(y, r["mean"].fillna(0.0), height=height * 0.9, color=colour, zorder=2)
        ax.errorbar(r["mean"], y, xerr=error_bars(r), fmt="none", ecolor="#222222", elinewidth=1.0, capsize=2.5,
                    zorder=3)
        bar_labels(ax, y, r["mean"].to_numpy(float), r["ci_low"].to_numpy(float), r["ci_high"].to_numpy(float),
                    [format_number(v, 0, lang) for v in r["mean"]], span)
        handles.append(h)
    extra = {sc: t["effect_total"].format(period=ctx.period, value=format_number(v, 0, lang))
             for sc, v in total.items()} if yearly and len(total) else None
    scenario_ticks(ax, centres, order, lang, extra)
    ax.axvline(0, color="#000000", lw=1.0, zorder=4)
    ax.set_xlim(lo_all - 0.16 * span if lo_all < 0 else 0 - 0.02 * span, hi_all + 0.14 * span)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="x", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(t["effect_xlabel"] if yearly else t["effect_xlabel_period"].format(period=", ".join(periods)))
    fig.suptitle(t["effect_title"], fontsize=13, fontweight="bold")
    hs = handles + [Line2D([], [], color="#222222", marker="|", ms=10, lw=1.0)]
    ls = list(periods) + [t["ci_whisker"]]
    legend_below(fig, hs, ls, ncol=len(hs))
    return fig


def cost_saved(s: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    rows = s[(s["quantity"] == "cost_saved_nok") & (s["scenario"] != "baseline")]
    periods = list(rows["period"].unique())
    period = ctx.period if ctx.period in periods or not periods else max(periods, key=lambda x: (len(x), x))
    r = rows[rows["period"] == period]
    order = ordered_scenarios(r["scenario"].unique())
    r = r.set_index("scenario")
    order = by_effect(order, r["mean"])
    r = r.reindex(order)
    styles = styles_for(ordered_scenarios(order))
    n = len(order)
    fig = new_figure(11.5, max(3.8, 0.55 * n + 2.0))
    ax = fig.subplots()
    fig.suptitle(t["cost_title"].format(period=period), fontsize=13, fontweight="bold")
    if not n:
        no_data(ax, lang)
        return fig
    mill = r[["mean", "ci_low", "ci_high"]] / 1e6
    y = np.arange(n)[::-1].astype(float)
    ax.barh(y, mill["mean"].fillna(0.0), height=0.65, color=[styles[sc].colour for sc in order], zorder=2)
    ax.errorbar(mill["mean"], y, xerr=error_bars(mill), fmt="none", ecolor="#222222", elinewidth=1.0, capsize=3,
                zorder=3)
    lo_all, hi_all = value_span(mill["ci_low"], mill["ci_high"], mill["mean"])
    span = (hi_all - lo_all) or 1.0
    bar_labels(ax, y, mill["mean"].to_numpy(float), mill["ci_low"].to_numpy(float), mill["ci_high"].to_numpy(float),
                [t["mill"].format(value=format_number(v, 1, lang)) for v in mill["mean"]], span)
    scenario_ticks(ax, y, order, lang)
    ax.axvline(0, color="#000000", lw=1.0, zorder=4)
    ax.set_xlim(lo_all - 0.22 * span if lo_all < 0 else 0 - 0.02 * span, hi_all + 0.22 * span)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="x", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(t["cost_xlabel"].format(period=period))
    legend_below(fig, [Line2D([], [], color="#222222", marker="|", ms=10, lw=1.0)], [t["ci_whisker"]], ncol=1)
    return fig


# 5. attainment matrix -----------------------------------------------------------------------------

def attainment(k: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    _, rule = load_targets()
    rows = k[(k["year"] == ctx.goal_year) & (k["kpi"].isin(STRATEGY_KPIS))]
    order = ordered_scenarios(k["scenario"].unique())
    n = len(order)
    fig = new_figure(12.5, max(3.6, 0.62 * n + 3.0))
    ax = fig.subplots()
    fig.suptitle(t["attain_title"].format(year=ctx.goal_year), fontsize=13, fontweight="bold")
    if not n:
        no_data(ax, lang)
        return fig
    for col, kpi in enumerate(STRATEGY_KPIS):
        place = kpi_place(kpi, ctx, k.loc[k["kpi"] == kpi, "municipality"])
        cells = rows[(rows["kpi"] == kpi) & (rows["municipality"] == place)].set_index("scenario")
        for row, sc in enumerate(order):
            status, att = "", math.nan
            if sc in cells.index:
                cell = cells.loc[sc]
                if isinstance(cell, pd.DataFrame):
                    cell = cell.iloc[0]
                status = cell["status"] if cell["status"] in STATUS_COLOURS else ""
                att = float(cell["attainment"])
            y = n - 1 - row
            ax.add_patch(Rectangle((col, y), 1, 1, facecolor=STATUS_COLOURS[status], edgecolor="white", lw=2.5))
            head = format_percent(att, 0, lang)
            word = status_label(status, lang) if status else ""
            ax.text(col + 0.5, y + 0.5, head + (f"\n{word}" if word else ""), ha="center", va="center",
                    color=STATUS_TEXT[status], fontsize=10, fontweight="bold" if sc == "combined" else "normal",
                    linespacing=1.25)
    ax.set_xlim(0, len(STRATEGY_KPIS))
    ax.set_ylim(0, n)
    kpi_matrix_axes(ax, order, lang, ctx.unit_name)
    half = format_percent(rule.yellow_attainment, None, lang)
    rel = format_percent(rule.yellow_relative, None, lang)
    hs = [Patch(facecolor=STATUS_COLOURS[c], edgecolor="#999999", lw=0.5) for c in ("green", "yellow", "red", "")]
    ls = [t["attain_status"][c or "none"].format(half=half, rel=rel) for c in ("green", "yellow", "red", "")]
    fig.legend(hs, ls, loc="outside lower center", ncol=2, handlelength=1.6, columnspacing=2.0)
    return fig

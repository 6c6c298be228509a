"""Figures of a study over plausible worlds (``study --worlds``): each measure's effect with its
interval over the worlds, for the community and the largest municipalities (a forest plot), and
what explains the spread (the Sobol' ranking). Drawn only when the tables carry the worlds."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ukp_sim.kpi import TOTAL
from ukp_sim.report.figure_style import (
    LOCK,
    RC,
    STRATEGY_KPIS,
    kpi_matrix_axes,
    kpi_place,
    legend_below,
    new_figure,
    number_formatter,
    ordered_scenarios,
)
from ukp_sim.report.locale import scenario_label, words
from ukp_sim.report.numbers import format_percent
from ukp_sim.report.study_values import over_worlds

STEMS = ("effect_over_worlds", "p_target_met", "sensitivity_ranking")
PANELS = 4  # the community and the three municipalities with the most UKP-days


def _t(lang: str) -> dict:
    return words(lang, "world_figure")


def effect_over_worlds(diffs: pd.DataFrame, year: int, lang: str) -> Figure:
    """UKP-days saved in ``year`` by each measure: the mean (dot), its 95 % CI over the worlds
    (thick) and the 95 % prediction interval of one year (thin), per panel."""
    t = _t(lang)
    d = diffs[(diffs["year"] == year) & (diffs["kpi"] == "ukp_days")
              & ~diffs["municipality"].str.contains("/", regex=False)]
    munis = (d[d["municipality"] != TOTAL].groupby("municipality")["base_mean"].mean()
             .sort_values(ascending=False).index[:PANELS - 1].tolist())
    places = [TOTAL, *munis]
    order = ordered_scenarios(d["scenario"].unique())
    fig = new_figure(11.5, max(3.6, 0.42 * len(order) + 1.8))
    axes = fig.subplots(1, len(places), sharey=True, squeeze=False)[0]
    y = np.arange(len(order))[::-1]
    for ax, place in zip(axes, places):
        r = d[d["municipality"] == place].set_index("scenario").reindex(order)
        mean = -r["mean_difference"].to_numpy(float)  # a saving is minus the difference
        ax.hlines(y, -r["pi_high"], -r["pi_low"], color="#9AA5B1", lw=1.2, zorder=2)
        ax.hlines(y, -r["ci_high"], -r["ci_low"], color="#1F4E79", lw=4.0, zorder=3)
        ax.plot(mean, y, "o", color="#C00000", ms=4.5, zorder=4)
        ax.axvline(0, color="#000000", lw=0.9)
        ax.set_title(t["community"] if place == TOTAL else place)
        ax.set_xlabel(t["effect_axis"])
        ax.xaxis.set_major_formatter(number_formatter(lang))
        ax.grid(axis="x", color="#E5E5E5", lw=0.8)
        ax.set_axisbelow(True)
    axes[0].set_yticks(y, [scenario_label(s, lang) for s in order])
    fig.suptitle(t["effect_title"].format(year=year), fontsize=13, fontweight="bold")
    legend_below(fig, [Line2D([], [], color="#C00000", marker="o", lw=0), Line2D([], [], color="#1F4E79", lw=4),
                       Line2D([], [], color="#9AA5B1", lw=1.2)], [t["mean"], t["ci"], t["pi"]], ncol=3)
    return fig


# white (never met) to the status green (always met): a share, not a verdict
P_COLOURS = LinearSegmentedColormap.from_list("p_target", ["#FFFFFF", "#1A9850"])


def p_target_met(kpis: pd.DataFrame, lang: str, ctx) -> Figure:
    """The probability of meeting each KPI's target in the goal year, by scenario: the share of
    world x replication runs that meet it (kpis.csv ``p_target_met``), one cell per scenario and KPI."""
    t = _t(lang)
    rows = kpis[(kpis["year"] == ctx.goal_year) & kpis["kpi"].isin(STRATEGY_KPIS)]
    order = ordered_scenarios(rows["scenario"].unique())
    n = len(order)
    fig = new_figure(12.5, max(3.6, 0.55 * n + 2.8))
    ax = fig.subplots()
    for col, kpi in enumerate(STRATEGY_KPIS):
        place = kpi_place(kpi, ctx, kpis.loc[kpis["kpi"] == kpi, "municipality"])
        cells = rows[(rows["kpi"] == kpi) & (rows["municipality"] == place)].set_index("scenario")
        for row, sc in enumerate(order):
            p = float(cells.loc[sc, "p_target_met"]) if sc in cells.index else np.nan
            y = n - 1 - row
            colour = "#EEEEEE" if np.isnan(p) else P_COLOURS(p)
            ax.add_patch(Rectangle((col, y), 1, 1, facecolor=colour, edgecolor="white", lw=2.5))
            ax.text(col + 0.5, y + 0.5, format_percent(p, 0, lang), ha="center", va="center", fontsize=10,
                    color="#FFFFFF" if p > 0.6 else "#222222", fontweight="bold" if sc == "combined" else "normal")
    ax.set_xlim(0, len(STRATEGY_KPIS))
    ax.set_ylim(0, max(n, 1))
    kpi_matrix_axes(ax, order, lang, ctx.unit_name)
    fig.suptitle(t["p_title"].format(year=ctx.goal_year), fontsize=13, fontweight="bold")
    fig.text(0.5, 0.02, t["p_note"], ha="center", fontsize=9, color="#333333")
    return fig


def sensitivity_ranking(sens: pd.DataFrame, output: str, lang: str, top: int = 10) -> Figure:
    """The ``top`` parameters by total-order Sobol' index for ``output``, with the bootstrap
    interval over the worlds (whiskers) and the first-order index (dot)."""
    t = _t(lang)
    r = sens[sens["output"] == output].sort_values("total_order", ascending=False).head(top)
    fig = new_figure(9.0, max(3.2, 0.38 * len(r) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(r))[::-1]
    ax.barh(y, r["total_order"], color="#1F4E79", height=0.6, zorder=2)
    ax.errorbar(r["total_order"], y, xerr=[(r["total_order"] - r["ci_low"]).clip(lower=0),
                                            (r["ci_high"] - r["total_order"]).clip(lower=0)],
                fmt="none", ecolor="#222222", capsize=2.5, zorder=3)
    ax.plot(r["first_order"], y, "o", color="#C00000", ms=4.5, zorder=4)
    ax.set_yticks(y, r["parameter"].tolist())
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _pos: format_percent(v, 0, lang))
    ax.grid(axis="x", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(t["sens_xlabel"])
    fig.suptitle(t["sens_title"].format(output=output), fontsize=12, fontweight="bold")
    legend_below(fig, [Line2D([], [], color="#1F4E79", lw=6), Line2D([], [], color="#C00000", marker="o", lw=0)],
                 [t["total"], t["first"]], ncol=2)
    return fig


def world_figure_files(diffs: pd.DataFrame, sens: pd.DataFrame | None, year: int, lang: str,
                       kpis: pd.DataFrame | None = None, ctx=None) -> dict[str, bytes]:
    """The figures a study over worlds adds, as PNG and SVG by relative file name (the study
    figures' naming); nothing without the worlds' columns."""
    import re

    import matplotlib

    from ukp_sim.report.figure_style import render
    from ukp_sim.report.study_figures import figure_path

    if "share_worlds_better" not in diffs.columns or diffs.empty:
        return {}
    out: dict[str, bytes] = {}
    with LOCK, matplotlib.rc_context(RC):
        figs = {"effect_over_worlds": effect_over_worlds(diffs, year, lang)}
        if kpis is not None and ctx is not None and "p_target_met" in kpis.columns and over_worlds(kpis):
            figs["p_target_met"] = p_target_met(kpis, lang, ctx)
        if sens is not None and not sens.empty:  # the combined strategy's saving, as the caption says
            period = [o for o in sens["output"].unique() if re.fullmatch(r"combined_ukp_days_saved_\d+_\d+", o)]
            if period:
                figs["sensitivity_ranking"] = sensitivity_ranking(sens, period[0], lang)
        for stem, fig in figs.items():
            for ext in ("png", "svg"):
                out[figure_path(stem, lang, ext)] = render(fig, ext)
    return out

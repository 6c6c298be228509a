"""Figures of a study over plausible worlds (``study --worlds``): each measure's effect with its
interval over the worlds, for the community and the largest municipalities (a forest plot), and
what explains the spread (the Sobol' ranking). Drawn only when the tables carry the worlds."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ukp_sim.kpi import TOTAL
from ukp_sim.report.figure_style import LOCK, RC, legend_below, new_figure, number_formatter, ordered_scenarios
from ukp_sim.report.locale import scenario_label, words
from ukp_sim.report.numbers import format_percent

STEMS = ("effect_over_worlds", "sensitivity_ranking")
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


def world_figure_files(diffs: pd.DataFrame, sens: pd.DataFrame | None, year: int, lang: str
                       ) -> dict[str, bytes]:
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
        if sens is not None and not sens.empty:  # the combined strategy's saving, as the caption says
            period = [o for o in sens["output"].unique() if re.fullmatch(r"combined_ukp_days_saved_\d+_\d+", o)]
            if period:
                figs["sensitivity_ranking"] = sensitivity_ranking(sens, period[0], lang)
        for stem, fig in figs.items():
            for ext in ("png", "svg"):
                out[figure_path(stem, lang, ext)] = render(fig, ext)
    return out

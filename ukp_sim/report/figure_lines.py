"""Figures 1-3 of the study: the KPIs per year against their targets, and two monthly series
(UKP in hospital, korttid beds occupied) with confidence bands."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator
from matplotlib.transforms import blended_transform_factory

from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import DEFINITIONS, TOTAL
from ukp_sim.report.context import StudyContext
from ukp_sim.report.figure_style import (
    GREY,
    KORTTID_INTERVENTIONS,
    STRATEGY_KPIS,
    Style,
    error_bars,
    kpi_place,
    legend_below,
    new_figure,
    no_data,
    number_formatter,
    ordered_scenarios,
    percent_formatter,
    styles_for,
    text,
    wrap,
)
from ukp_sim.report.locale import SCENARIOS, fill, kpi_label, scenario_label
from ukp_sim.report.numbers import format_number, format_percent
from ukp_sim.report.study_values import over_worlds

# 1. KPI trajectories ------------------------------------------------------------------------------

def kpi_trajectories(k: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    v = ctx.values(lang)
    targets, _ = load_targets()
    fig = new_figure(13.5, 9.0)
    axes = fig.subplots(2, 3)
    order = ordered_scenarios(k["scenario"].unique())
    styles = styles_for(order)
    years = sorted(k["year"].unique())
    step = min(0.09, 0.62 / max(len(order), 1))
    worlds = over_worlds(k)
    handles: dict[str, object] = {}
    for i, (kpi, ax) in enumerate(zip(STRATEGY_KPIS, axes.flat)):
        rows_k = k[k["kpi"] == kpi]
        place = kpi_place(kpi, ctx, rows_k["municipality"])
        unit = ctx.unit_name if kpi == "korttid_los" else ""
        rows_k = rows_k[rows_k["municipality"] == place]
        title = f"{i + 1}. {kpi_label(kpi, lang)}" + (f", {unit}" if unit else "")
        ax.set_title(wrap(title, 44), loc="left")
        share = DEFINITIONS[kpi].unit == "share"
        ax.yaxis.set_major_formatter(percent_formatter(lang) if share else number_formatter(lang))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
        ax.set_ylabel(t["ylabel"][kpi])
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlim((min(years) - 0.45, max(years) + 0.45) if years else (2022.5, 2026.5))
        ax.grid(axis="y", color="#E5E5E5", lw=0.8)
        ax.set_axisbelow(True)
        means = []
        for j, sc in enumerate(order):
            rows = rows_k[rows_k["scenario"] == sc].sort_values("year")
            if rows.empty:
                continue
            st = styles[sc]
            x = rows["year"].to_numpy(float) + (j - (len(order) - 1) / 2) * step
            if worlds:  # over worlds: one year's spread
                h_pi = ax.vlines(x, rows["pi_low"], rows["pi_high"], color=st.colour, lw=0.9, alpha=0.45,
                                 zorder=st.zorder - 0.5)
                handles.setdefault("_pi", h_pi)
            h = ax.errorbar(x, rows["mean"], yerr=error_bars(rows), color=st.colour, marker=st.marker, ms=st.ms,
                            lw=st.lw, ls=st.ls, elinewidth=1.6 if st.prominent else 1.1, capsize=2.5,
                            zorder=st.zorder, mec="white" if st.prominent else st.colour, mew=0.6)
            handles.setdefault(sc, h)
            means.extend(rows["mean"].dropna().tolist())
        target = targets.get(kpi)
        if not means:
            no_data(ax, lang)
            continue
        if target is None:
            continue
        tval = target.target
        with_data = rows_k["target"].dropna()
        if len(with_data):
            tval = float(with_data.iloc[0])
        ax.axhline(tval, color=GREY, lw=1.4, zorder=1)
        handles.setdefault("_target", Line2D([], [], color=GREY, lw=1.4))
        if target.baseline != tval and years:
            path = _milestone_path(rows_k, years, target.baseline, tval, ctx.years[0] if ctx.years else years[0])
            ax.plot(years, path, color=GREY, lw=1.0, ls=(0, (4, 3)), zorder=1)
            handles.setdefault("_milestone", Line2D([], [], color=GREY, lw=1.0, ls=(0, (4, 3))))
        _target_label(ax, tval, target.direction, means, share, lang, ctx)
        honest_span(ax, tval)
    fig.suptitle(fill(t["traj_title"], **v), fontsize=13, fontweight="bold")
    labels = {"_target": fill(t["target_legend"], **v), "_milestone": fill(t["milestone"], **v),
              "_pi": t["pi_bars"]}
    keys = [sc for sc in order if sc in handles] + [h for h in ("_target", "_milestone", "_pi") if h in handles]
    hs = [handles[key] for key in keys]
    ls = [labels.get(key) or scenario_label(key, lang) for key in keys]
    hs.append(Line2D([], [], color="#000000", marker="|", ms=14, mew=1.4, lw=0))
    ls.append(t["ci_bars"])
    legend_below(fig, hs, ls, ncol=3)
    return fig


# The y axis of a KPI panel spans at least this share of the target's value, so that a difference
# of a few tenths of a percentage point (KPI 5 holds 16 %) is not drawn across the whole panel.
MIN_SPAN_OF_TARGET = 0.5


def honest_span(ax, target: float) -> None:
    """Widen the y axis about its centre to at least MIN_SPAN_OF_TARGET x |target|, never below 0
    (every strategy KPI is a count, a share or a number of days)."""
    lo, hi = ax.get_ylim()
    need = MIN_SPAN_OF_TARGET * abs(target)
    if hi - lo >= need:
        return
    mid = (lo + hi) / 2
    lo, hi = mid - need / 2, mid + need / 2
    if lo < 0:
        lo, hi = 0.0, need
    ax.set_ylim(lo, hi)


def _milestone_path(rows: pd.DataFrame, years: list[int], baseline: float, target: float,
                    first: int) -> list[float]:
    """Expected value each year: baseline + milestone × (target − baseline); the data's `milestone`
    column where given, else 0 in the baseline year, 50 % a year later and 100 % from two years later."""
    out = []
    for y in years:
        given = rows.loc[rows["year"] == y, "milestone"].dropna()
        share = float(given.iloc[0]) if len(given) else (0.0 if y <= first else 0.5 if y == first + 1 else 1.0)
        out.append(baseline + share * (target - baseline))
    return out


def _target_label(ax, value: float, direction: str, means: list[float], share: bool, lang: str,
                  ctx: StudyContext) -> None:
    """The target's value written on its line, on the side away from the data, with room made for it."""
    op = "≤" if direction == "<=" else "≥"
    shown = format_percent(value, None, lang) if share else format_number(value, None, lang)
    label = text(lang)["target"].format(year=ctx.target_year, op=op, value=shown)
    lo, hi = ax.get_ylim()
    lo, hi = min(lo, value), max(hi, value)
    span = (hi - lo) or abs(value) or 1.0
    above = bool(means) and float(np.median(means)) < value
    room = 0.14 * span
    if above:
        hi = max(hi, value + room)
    else:
        lo = min(lo, value - room)
    if share:
        lo = max(lo, 0.0) if value - room >= 0 else lo
    ax.set_ylim(lo, hi)
    tr = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(0.985, value, label, transform=tr, ha="right", va="bottom" if above else "top", fontsize=9,
            color="#333333", zorder=6, bbox=dict(boxstyle="square,pad=0.25", fc="white", ec="none", alpha=0.85))


# 2. and 3. monthly series -------------------------------------------------------------------------

def _monthly_axes(ax, rows: pd.DataFrame, order: list[str], styles: dict[str, Style], banded: set[str],
                  lang: str) -> dict[str, object]:
    """Monthly means as lines, CI bands (cut at 0: these are counts) for the `banded` scenarios."""
    handles: dict[str, object] = {}
    years = sorted(rows["year"].unique()) if len(rows) else []
    base = rows[rows["scenario"] == "baseline"].set_index(["year", "month"])
    for sc in order:
        r = rows[rows["scenario"] == sc].sort_values(["year", "month"])
        if r.empty:
            continue
        st = styles[sc]
        x = r["year"].to_numpy(float) + (r["month"].to_numpy(float) - 0.5) / 12
        # the reference on top: where the scenarios coincide (the baseline year) its black line is the one seen
        z = st.zorder + (2 if sc == "baseline" else 0)
        if sc in banded:
            ax.fill_between(x, r["ci_low"].clip(lower=0.0), r["ci_high"], where=_differs(r, base, sc),
                            color=st.colour, alpha=0.18, lw=0, zorder=1.5)
            (h,) = ax.plot(x, r["mean"], color=st.colour, lw=max(st.lw, 1.8), ls=st.ls, zorder=z)
        else:
            (h,) = ax.plot(x, r["mean"], color=st.colour, lw=1.0, ls=st.ls, alpha=0.9, zorder=2)
        handles[sc] = h
    if years:
        ax.set_xlim(min(years), max(years) + 1)
        ax.set_xticks([y + 0.5 for y in years], [str(y) for y in years])
        ax.tick_params(axis="x", length=0)
        ax.xaxis.set_minor_locator(MultipleLocator(1 / 12))
        ax.tick_params(axis="x", which="minor", length=2.5)
        for y in years[1:]:
            ax.axvline(y, color="#BBBBBB", lw=0.8, zorder=0)
    else:
        no_data(ax, lang)
    ax.yaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="y", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_ylim(bottom=0.0)
    return handles


def _differs(r: pd.DataFrame, base: pd.DataFrame, sc: str) -> np.ndarray:
    """Months where a scenario's band differs from the reference's, widened by a month so the band
    joins up (where they coincide, as in the baseline year, only the reference's band is drawn)."""
    if sc == "baseline" or base.empty:
        return np.ones(len(r), bool)
    b = base.reindex(pd.MultiIndex.from_frame(r[["year", "month"]]))
    same = np.ones(len(r), bool)
    for c in ("mean", "ci_low", "ci_high"):
        mine, ref = r[c].to_numpy(float), b[c].to_numpy(float)
        same &= np.isclose(mine, ref, rtol=1e-9, atol=1e-12) | (np.isnan(mine) & np.isnan(ref))
    differs = ~same
    differs[:-1] |= differs[1:]
    return differs


def _banded(order: list[str]) -> set[str]:
    """Baseline and combined get CI bands; with neither present (a planner's own set), all do."""
    chosen = {s for s in order if s in ("baseline", "combined")}
    return chosen or set(order)


def _monthly_legend(fig: Figure, handles: dict[str, object], order: list[str], lang: str) -> None:
    keys = [s for s in order if s in handles]
    hs = [handles[s] for s in keys] + [Patch(color="#000000", alpha=0.18, lw=0)]
    ls = [scenario_label(s, lang) for s in keys] + [text(lang)["ci_band"]]
    legend_below(fig, hs, ls, ncol=3)


def ukp_in_hospital(m: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    rows = m[(m["kpi"] == "beds_held_by_ukp_mean") & (m["municipality"] == TOTAL)]
    order = ordered_scenarios(rows["scenario"].unique())
    styles = styles_for(order)
    banded = _banded(order)
    fig = new_figure(11.5, 6.2)
    ax = fig.subplots()
    handles = _monthly_axes(ax, rows, order, styles, banded, lang)
    ax.set_ylabel(t["ukp_ylabel"])
    ax.set_xlabel(t["year"])
    fig.suptitle(t["ukp_title"], fontsize=13, fontweight="bold")
    _monthly_legend(fig, handles, order, lang)
    return fig


def korttid_occupancy(m: pd.DataFrame, lang: str, ctx: StudyContext) -> Figure:
    t = text(lang)
    rows = m[m["kpi"] == "korttid_beds_occupied"]
    keep = {"baseline", "combined", *KORTTID_INTERVENTIONS}
    rows = rows[rows["scenario"].isin(keep) | ~rows["scenario"].isin(SCENARIOS)]
    places = [TOTAL] + [p for p in (ctx.largest,) if p and p in set(rows["municipality"])]
    order = ordered_scenarios(rows["scenario"].unique())
    styles = styles_for(order)
    banded = _banded(order)
    fig = new_figure(13.5, 6.0)
    axes = fig.subplots(1, len(places), squeeze=False)[0]
    handles: dict[str, object] = {}
    for ax, place in zip(axes, places):
        part = rows[rows["municipality"] == place]
        for sc, h in _monthly_axes(ax, part, order, styles, banded, lang).items():
            handles.setdefault(sc, h)
        ax.set_title(t["total_panel"] if place == TOTAL else place, loc="left")
        ax.set_xlabel(t["year"])
    axes[0].set_ylabel(t["korttid_ylabel"])
    fig.suptitle(t["korttid_title"], fontsize=13, fontweight="bold")
    _monthly_legend(fig, handles, order, lang)
    return fig



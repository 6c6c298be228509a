"""The common look of the study's figures: palette, line styles, axes, formatters and rendering.

Every figure is drawn on a ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no global
figure state) inside ``RC`` (fixed SVG hash salt, text kept as text), so the same tables give
byte-identical files.
"""
from __future__ import annotations

import io
import math
import textwrap
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ukp_sim.interventions import registry
from ukp_sim.report.locale import SCENARIOS, scenario_label, words
from ukp_sim.report.numbers import format_number, format_percent

# The six KPIs adopted by ASU, in their numbered order.
STRATEGY_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share",
                 "readmission_30d_share", "korttid_los")
DPI = 150

# Okabe & Ito (2008) colour-blind-safe palette; the baseline black, the combined strategy vermillion.
# Each intervention's colour is in its plug-in module (ukp_sim/interventions/<id>.py).
SCENARIO_COLOURS = {
    "baseline": "#000000",
    "combined": "#D55E00",
    **{p.id: p.colour for p in registry.plugins()},
}
# for a planner's own scenarios (Tol's "muted" scheme), drawn dashed
EXTRA_COLOURS = ("#44AA99", "#999933", "#332288", "#AA4499", "#117733", "#88CCEE")
MARKERS = {"baseline": "o", "discharge_team": "s", "bed_sharing": "^", "early_assessment": "v",
           "escalation_plan": "P", "efficient_korttid": "X", "frailty_pathway": "<", "combined": "D"}
EXTRA_MARKERS = ("h", "*", ">", "p", "d", "8")
# recognisably green / yellow / red, told apart by lightness too (red darkest, yellow lightest)
STATUS_COLOURS = {"green": "#66BD63", "yellow": "#FEE08B", "red": "#B2182B", "": "#E0E0E0"}
STATUS_TEXT = {"green": "#000000", "yellow": "#000000", "red": "#FFFFFF", "": "#000000"}
YEAR_SHADES = ("#9ECAE1", "#4292C6", "#08519C", "#08306B")
GREY = "#555555"
# the interventions drawn (thin) in the korttid occupancy figure besides baseline and combined
KORTTID_INTERVENTIONS = ("bed_sharing", "escalation_plan", "efficient_korttid")

RC = {
    "svg.hashsalt": "ukp-sim-study",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
}
LOCK = threading.Lock()  # rcParams are process-global: one rendering at a time


def text(lang: str) -> dict:
    """The figures' words in one language (the catalogue's [figure] table)."""
    return words(lang, "figure")


def number_formatter(lang: str = "nb") -> FuncFormatter:
    """Tick formatter with Norwegian (or English) digit grouping and decimal mark."""
    return FuncFormatter(lambda v, _pos: format_number(round(v, 9), None, lang))


def percent_formatter(lang: str = "nb") -> FuncFormatter:
    """Tick formatter for fractions shown as percent."""
    return FuncFormatter(lambda v, _pos: format_percent(round(v, 9), None, lang))

def ordered_scenarios(ids) -> list[str]:
    """The study's scenarios in report order, then a planner's own ids alphabetically."""
    present = {str(i) for i in ids}
    return [s for s in SCENARIOS if s in present] + sorted(present - set(SCENARIOS))


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str
    lw: float
    ms: float
    ls: str
    zorder: float
    prominent: bool


def styles_for(order: list[str]) -> dict[str, Style]:
    out = {}
    extra = 0
    for s in order:
        if s in SCENARIO_COLOURS:
            prominent = s in ("baseline", "combined")
            out[s] = Style(SCENARIO_COLOURS[s], MARKERS[s], 2.4 if s == "combined" else 1.8 if prominent else 1.1,
                            6.5 if prominent else 4.5, "-", 4 if s == "combined" else 3 if prominent else 2, prominent)
        else:
            out[s] = Style(EXTRA_COLOURS[extra % len(EXTRA_COLOURS)], EXTRA_MARKERS[extra % len(EXTRA_MARKERS)],
                            1.1, 4.5, "--", 2, False)
            extra += 1
    return out


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def clean_table(df: pd.DataFrame | None, cols: tuple[str, ...]) -> pd.DataFrame:
    if df is None or len(df) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = df.copy()
    for c in cols:
        if c not in out.columns:
            out[c] = np.nan
    out["scenario"] = out["scenario"].astype(str)
    for c in ("mean", "ci_low", "ci_high", "target", "attainment", "milestone"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in ("year", "month"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce")
            out = out[out[c].notna()]
            out[c] = out[c].astype(int)
    if "period" in out.columns:
        out["period"] = out["period"].astype(str).str.replace("-", "–", regex=False)
    if "status" in out.columns:
        out["status"] = out["status"].fillna("").astype(str)
    return out


def error_bars(rows: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bar lengths (NaN where the CI is missing, never negative)."""
    lo = (rows["mean"] - rows["ci_low"]).to_numpy(float)
    hi = (rows["ci_high"] - rows["mean"]).to_numpy(float)
    with np.errstate(invalid="ignore"):
        return np.vstack([np.where(lo < 0, 0.0, lo), np.where(hi < 0, 0.0, hi)])

def kpi_place(kpi: str, context, places) -> str | None:
    """Where a strategy KPI is read: KPI 6 in the community's KPI-6 unit (None if the tables have
    no such unit; the whole community if the context names none), the others community-wide."""
    if kpi != "korttid_los" or context.unit is None:
        return "Total"
    return context.unit if context.unit in {str(p) for p in places} else None


def render(fig: Figure, ext: str) -> bytes:
    buf = io.BytesIO()
    if ext == "png":
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    else:
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(h_pad=0.08, w_pad=0.08)
    return fig


def no_data(ax, lang: str) -> None:
    ax.text(0.5, 0.5, text(lang)["no_data"], transform=ax.transAxes, ha="center", va="center", color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def legend_below(fig: Figure, handles: list, labels: list[str], ncol: int) -> None:
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, handlelength=2.6, columnspacing=1.6)


def bar_labels(ax, y, mean, lo, hi, texts, span: float) -> None:
    pad = 0.012 * span
    for yi, mu, low, h, txt in zip(y, mean, lo, hi, texts):
        if not math.isfinite(mu):
            continue
        if mu >= 0:
            x = max(mu, h if math.isfinite(h) else mu) + pad
            ax.text(x, yi, txt, va="center", ha="left", fontsize=8.5)
        else:
            x = min(mu, low if math.isfinite(low) else mu) - pad
            ax.text(x, yi, txt, va="center", ha="right", fontsize=8.5)


def value_span(*arrays) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(a, float) for a in arrays] + [np.array([0.0])])
    vals = vals[np.isfinite(vals)]
    return float(vals.min()), float(vals.max())


def by_effect(order: list[str], effect: pd.Series) -> list[str]:
    """Largest effect first; missing effects last; ties keep the report order."""
    def key(sc: str) -> tuple[float, int]:
        v = float(effect.get(sc, math.nan))
        return (-v if math.isfinite(v) else math.inf, order.index(sc))
    return sorted(order, key=key)


def scenario_ticks(ax, y, order: list[str], lang: str, extra: dict[str, str] | None = None) -> None:
    labels = []
    for sc in order:
        lab = wrap(scenario_label(sc, lang), 30)
        if extra and sc in extra:
            lab += "\n" + extra[sc]
        labels.append(lab)
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for tick, sc in zip(ax.get_yticklabels(), order):
        if sc == "combined":
            tick.set_fontweight("bold")




def kpi_matrix_axes(ax, order: list[str], lang: str, unit_name: str) -> None:
    """The frame of a scenario x strategy-KPI matrix (attainment, probability of meeting the
    target): KPI heads on top, scenario names at the left, no ticks or spines."""
    import numpy as np

    from ukp_sim.report.locale import kpi_label

    heads = [wrap(f"{i + 1}. {kpi_label(k, lang)}" + (f", {unit_name}" if k == "korttid_los" and unit_name else ""),
                  20) for i, k in enumerate(STRATEGY_KPIS)]
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(len(STRATEGY_KPIS)) + 0.5, heads, fontsize=9)
    scenario_ticks(ax, np.arange(len(order))[::-1] + 0.5, order, lang)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)

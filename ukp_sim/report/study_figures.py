"""Figures of the standard study: bokmål by default, English with ``lang="en"``.

``study_figures`` renders every figure in ``FIGURES`` as PNG (150 dpi) and SVG and returns the
bytes by relative file name; it writes nothing. The figures are drawn on ``matplotlib.figure.Figure``
objects with the Agg canvas (no pyplot, no global figure state), and the output is deterministic:
the same tables give byte-identical files (fixed SVG hash salt, no dates in the metadata, text kept
as text in SVG so it can be searched and translated).

Input tables (long format, see ``ukp_sim.study``): ``kpis`` (whole years), ``monthly`` and
``savings``. Any subset of the scenarios in ``study_labels.SCENARIOS`` may be present, and a
planner's own scenario ids too; they come after the known ones and are labelled by their id.
"""
from __future__ import annotations

import io
import math
import textwrap
import threading
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from matplotlib.transforms import blended_transform_factory

from ukp_sim.kpi import DEFINITIONS, TOTAL
from ukp_sim.report.labels import LANGS, SCENARIOS, STATUS_LABELS, format_number, scenario_label
from ukp_sim.config.targets import Target, load_targets


@dataclass(frozen=True)
class FigureSpec:
    stem: str
    caption_nb: str
    caption_en: str


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "kpi_trajectories",
        "De seks indikatorene i strategien per år 2023–2026 for referansen, hvert tiltak alene og samlet "
        "strategi, med målet for 2025 (heltrukken grå linje) og delmålsbanen (stiplet); KPI 1–5 gjelder hele "
        "helsefellesskapet, KPI 6 Øya helsehus. Loddrette streker er 95 % konfidensintervall over "
        "replikasjonene, kjørt med felles tilfeldige tall.",
        "The strategy's six KPIs per year 2023–2026 for the baseline, each intervention alone and the combined "
        "strategy, with the 2025 target (solid grey line) and the milestone path (dashed); KPIs 1–5 are for the "
        "whole health community, KPI 6 for Øya helsehus. Vertical bars are 95% confidence intervals over the "
        "replications, run with common random numbers."),
    FigureSpec(
        "ukp_in_hospital",
        "Utskrivningsklare pasienter (UKP) som ligger på sykehuset ved midnatt, snitt per måned fra januar 2023 "
        "til desember 2026, hele helsefellesskapet. Skravert: 95 % konfidensintervall over replikasjonene "
        "(felles tilfeldige tall) for referansen og samlet strategi; de tynne linjene er hvert tiltak alene.",
        "Discharge-ready patients (UKP) in hospital at midnight, monthly mean from January 2023 to December "
        "2026, whole health community. Shaded: 95% confidence interval over the replications (common random "
        "numbers) for the baseline and the combined strategy; the thin lines are each intervention alone."),
    FigureSpec(
        "korttid_occupancy",
        "Belagte korttidsplasser ved midnatt, snitt per måned 2023–2026, for hele helsefellesskapet og for "
        "Trondheim. Skravert: 95 % konfidensintervall over replikasjonene (felles tilfeldige tall) for "
        "referansen og samlet strategi; de tynne linjene er tiltakene som virker direkte på korttidsplassene.",
        "Korttid (short-term) beds occupied at midnight, monthly mean 2023–2026, for the whole health community "
        "and for Trondheim. Shaded: 95% confidence interval over the replications (common random numbers) for "
        "the baseline and the combined strategy; the thin lines are the interventions that act on korttid beds."),
    FigureSpec(
        "effect_ukp_days",
        "UKP-døgn spart per år sammenlignet med referansen, for hvert tiltak alene og samlet strategi, sortert "
        "etter samlet effekt 2024–2026. Strekene er 95 % konfidensintervall over replikasjonene, kjørt med "
        "felles tilfeldige tall.",
        "UKP-days saved per year compared with the baseline, for each intervention alone and the combined "
        "strategy, sorted by the total effect 2024–2026. The bars' whiskers are 95% confidence intervals over "
        "the replications, run with common random numbers."),
    FigureSpec(
        "attainment_2025",
        "Måloppnåelse i 2025 per scenario og indikator: hvor stor del av veien fra utgangsverdien til målet "
        "som er gått, med statusfarge (grønn: målet nådd, gul: minst halvveis, rød: under halvveis). KPI 1–5 "
        "gjelder hele helsefellesskapet, KPI 6 Øya helsehus; verdiene er snitt over replikasjonene med felles "
        "tilfeldige tall.",
        "Goal attainment in 2025 by scenario and KPI: the share of the way from the baseline value to the "
        "target, with the status colour (green: target met, yellow: at least half-way, red: less than half-way). "
        "KPIs 1–5 are for the whole health community, KPI 6 for Øya helsehus; values are means over the "
        "replications, run with common random numbers."),
    FigureSpec(
        "cost_saved",
        "Kostnad spart 2024–2026 i millioner kroner (UKP-døgn × døgnpris) sammenlignet med referansen, per "
        "tiltak og for samlet strategi. Strekene er 95 % konfidensintervall over replikasjonene, kjørt med "
        "felles tilfeldige tall.",
        "Cost saved 2024–2026 in NOK million (UKP-days × daily rate) compared with the baseline, per "
        "intervention and for the combined strategy. The whiskers are 95% confidence intervals over the "
        "replications, run with common random numbers."),
)

# The six KPIs adopted by ASU, in their numbered order.
STRATEGY_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share",
                 "readmission_30d_share", "korttid_los")
TARGET_YEAR = 2025
TOTAL_PERIOD = "2024–2026"
DPI = 150

TEXT = {
    "nb": {
        "traj_title": "Strategiens seks indikatorer per scenario, 2023–2026",
        "year": "År",
        "target": "Mål {year}: {op} {value}",
        "target_legend": "Mål for 2025",
        "milestone": "Delmålsbane fra utgangsverdien (50 % av veien i 2024, 100 % i 2025)",
        "ci_bars": "Loddrett strek: 95 % konfidensintervall",
        "ci_band": "skravert: 95 % konfidensintervall",
        "ci_whisker": "strek: 95 % konfidensintervall",
        "ylabel": {"ukp_days": "UKP-døgn per år", "zero_day_share": "prosent av UKP-oppholdene",
                   "mean_ukp_stay": "døgn per opphold", "straight_home_share": "prosent av UKP-oppholdene",
                   "readmission_30d_share": "prosent av UKP-oppholdene", "korttid_los": "døgn per opphold"},
        "units": {"days": "døgn", "share": "prosent", "NOK": "kr", "beds": "senger", "stays": "opphold"},
        "community": "hele helsefellesskapet",
        "ukp_title": "Utskrivningsklare pasienter (UKP) som ligger på sykehuset, hele helsefellesskapet",
        "ukp_ylabel": "UKP på sykehuset ved midnatt\n(snitt per måned, pasienter)",
        "korttid_title": "Belagte korttidsplasser",
        "korttid_ylabel": "belagte korttidsplasser ved midnatt\n(snitt per måned)",
        "total_panel": "Hele helsefellesskapet",
        "effect_title": "UKP-døgn spart sammenlignet med referansen",
        "effect_xlabel": "UKP-døgn spart per år (mer enn 0 = færre UKP-døgn enn referansen)",
        "effect_xlabel_period": "UKP-døgn spart {period} (mer enn 0 = færre UKP-døgn enn referansen)",
        "effect_total": "sum {period}: {value}",
        "attain_title": "Måloppnåelse {year}: andel av veien fra utgangsverdien til målet",
        "attain_status": {
            "green": "grønn: målet er nådd",
            "yellow": "gul: ikke nådd, men minst {half} av veien (KPI 5: innenfor {rel} av målet)",
            "red": "rød: under {half} av veien",
            "": "–: ingen verdi (KPI 5: målet er å holde nivået, bare status vises)",
        },
        "cost_title": "Kostnad spart {period} sammenlignet med referansen",
        "cost_xlabel": "kostnad spart {period} (mill. kr; mer enn 0 = lavere kostnad enn referansen)",
        "mill": "{value} mill. kr",
        "no_data": "Ingen data å vise",
        "oya": "Øya helsehus",
    },
    "en": {
        "traj_title": "The strategy's six KPIs by scenario, 2023–2026",
        "year": "Year",
        "target": "Target {year}: {op} {value}",
        "target_legend": "Target for 2025",
        "milestone": "Milestone path from the baseline value (50% of the way in 2024, 100% in 2025)",
        "ci_bars": "Vertical bar: 95% confidence interval",
        "ci_band": "shaded: 95% confidence interval",
        "ci_whisker": "whisker: 95% confidence interval",
        "ylabel": {"ukp_days": "UKP-days per year", "zero_day_share": "percent of UKP stays",
                   "mean_ukp_stay": "days per stay", "straight_home_share": "percent of UKP stays",
                   "readmission_30d_share": "percent of UKP stays", "korttid_los": "days per stay"},
        "units": {"days": "days", "share": "percent", "NOK": "NOK", "beds": "beds", "stays": "stays"},
        "community": "whole health community",
        "ukp_title": "Discharge-ready patients (UKP) in hospital, whole health community",
        "ukp_ylabel": "UKP in hospital at midnight\n(monthly mean, patients)",
        "korttid_title": "Korttid (short-term) beds occupied",
        "korttid_ylabel": "korttid beds occupied at midnight\n(monthly mean)",
        "total_panel": "Whole health community",
        "effect_title": "UKP-days saved compared with the baseline",
        "effect_xlabel": "UKP-days saved per year (above 0 = fewer UKP-days than the baseline)",
        "effect_xlabel_period": "UKP-days saved {period} (above 0 = fewer UKP-days than the baseline)",
        "effect_total": "total {period}: {value}",
        "attain_title": "Goal attainment {year}: share of the way from the baseline value to the target",
        "attain_status": {
            "green": "green: target met",
            "yellow": "yellow: not met, but at least {half} of the way (KPI 5: within {rel} of the target)",
            "red": "red: less than {half} of the way",
            "": "–: no value (KPI 5: the target is to hold the level, only the status is shown)",
        },
        "cost_title": "Cost saved {period} compared with the baseline",
        "cost_xlabel": "cost saved {period} (NOK million; above 0 = lower cost than the baseline)",
        "mill": "NOK {value} million",
        "no_data": "No data to show",
        "oya": "Øya helsehus",
    },
}

# Okabe & Ito (2008) colour-blind-safe palette; the baseline black, the combined strategy vermillion.
SCENARIO_COLOURS = {
    "baseline": "#000000",
    "discharge_team": "#0072B2",
    "bed_sharing": "#56B4E9",
    "early_assessment": "#009E73",
    "escalation_plan": "#E69F00",
    "efficient_korttid": "#CC79A7",
    "frailty_pathway": "#882255",
    "combined": "#D55E00",
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

_RC = {
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
_LOCK = threading.Lock()  # rcParams are process-global: one rendering at a time


# -- numbers ---------------------------------------------------------------------------------------

def format_percent(share: float | None, decimals: int | None = 0, lang: str = "nb") -> str:
    """A fraction as a percentage: 0.71 -> "71 %" in bokmål, "71%" in English."""
    if share is None or not math.isfinite(float(share)):
        return "–"
    return format_number(float(share) * 100, decimals, lang) + (" %" if lang == "nb" else "%")


def number_formatter(lang: str = "nb") -> FuncFormatter:
    """Tick formatter with Norwegian (or English) digit grouping and decimal mark."""
    return FuncFormatter(lambda v, _pos: format_number(round(v, 9), None, lang))


def percent_formatter(lang: str = "nb") -> FuncFormatter:
    """Tick formatter for fractions shown as percent."""
    return FuncFormatter(lambda v, _pos: format_percent(round(v, 9), None, lang))


# -- names -----------------------------------------------------------------------------------------

def caption(stem: str, lang: str) -> str:
    """The caption of a figure in bokmål ("nb") or English ("en")."""
    _check_lang(lang)
    for spec in FIGURES:
        if spec.stem == stem:
            return spec.caption_nb if lang == "nb" else spec.caption_en
    raise KeyError(f"unknown figure {stem!r}; the figures are {', '.join(s.stem for s in FIGURES)}")


def figure_path(stem: str, lang: str, ext: str = "png") -> str:
    """Relative file name of a figure: "figures/<stem>.<ext>", "figures/<stem>.en.<ext>" in English."""
    _check_lang(lang)
    return f"figures/{stem}{'.en' if lang == 'en' else ''}.{ext}"


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def ordered_scenarios(ids) -> list[str]:
    """The study's scenarios in report order, then a planner's own ids alphabetically."""
    present = {str(i) for i in ids}
    return [s for s in SCENARIOS if s in present] + sorted(present - set(SCENARIOS))


@dataclass(frozen=True)
class _Style:
    colour: str
    marker: str
    lw: float
    ms: float
    ls: str
    zorder: float
    prominent: bool


def _styles(order: list[str]) -> dict[str, _Style]:
    out = {}
    extra = 0
    for s in order:
        if s in SCENARIO_COLOURS:
            prominent = s in ("baseline", "combined")
            out[s] = _Style(SCENARIO_COLOURS[s], MARKERS[s], 2.4 if s == "combined" else 1.8 if prominent else 1.1,
                            6.5 if prominent else 4.5, "-", 4 if s == "combined" else 3 if prominent else 2, prominent)
        else:
            out[s] = _Style(EXTRA_COLOURS[extra % len(EXTRA_COLOURS)], EXTRA_MARKERS[extra % len(EXTRA_MARKERS)],
                            1.1, 4.5, "--", 2, False)
            extra += 1
    return out


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _kpi_label(kpi: str, lang: str) -> str:
    d = DEFINITIONS.get(kpi)
    if d is None:
        return kpi
    return d.label_nb if lang == "nb" else d.label_en


# -- tables ----------------------------------------------------------------------------------------

def _clean(df: pd.DataFrame | None, cols: tuple[str, ...]) -> pd.DataFrame:
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


def _place(kpi: str, targets: dict[str, Target], places) -> tuple[str | None, str | None]:
    """Where a strategy KPI is read (community or the unit its target is for), and the unit's name."""
    t = targets.get(kpi)
    if t is not None and t.scope.startswith("unit:"):
        hits = sorted(p for p in set(places) if t.applies_to(str(p)))
        return (hits[0] if hits else None), t.scope[5:]
    return TOTAL, None


def _err(rows: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bar lengths (NaN where the CI is missing, never negative)."""
    lo = (rows["mean"] - rows["ci_low"]).to_numpy(float)
    hi = (rows["ci_high"] - rows["mean"]).to_numpy(float)
    with np.errstate(invalid="ignore"):
        return np.vstack([np.where(lo < 0, 0.0, lo), np.where(hi < 0, 0.0, hi)])


# -- rendering -------------------------------------------------------------------------------------

def study_figures(kpis: pd.DataFrame, monthly: pd.DataFrame, savings: pd.DataFrame,
                  lang: str = "nb") -> dict[str, bytes]:
    """Render every figure in PNG (dpi 150) and SVG; returns {relative file name: bytes}, e.g.
    {"figures/kpi_trajectories.png": b"...", "figures/kpi_trajectories.svg": ..., ...}; file names
    get the suffix ".en" before the extension for English ("figures/kpi_trajectories.en.png").
    Nothing is written here (the caller writes all files atomically)."""
    _check_lang(lang)
    k = _clean(kpis, ("scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n",
                      "target", "attainment", "status", "milestone"))
    m = _clean(monthly, ("scenario", "year", "month", "municipality", "kpi", "mean", "ci_low", "ci_high", "n"))
    s = _clean(savings, ("scenario", "period", "quantity", "mean", "ci_low", "ci_high", "n"))
    builders = {
        "kpi_trajectories": lambda: _kpi_trajectories(k, lang),
        "ukp_in_hospital": lambda: _ukp_in_hospital(m, lang),
        "korttid_occupancy": lambda: _korttid_occupancy(m, lang),
        "effect_ukp_days": lambda: _effect_ukp_days(s, lang),
        "attainment_2025": lambda: _attainment(k, lang),
        "cost_saved": lambda: _cost_saved(s, lang),
    }
    out: dict[str, bytes] = {}
    with _LOCK, matplotlib.rc_context(_RC):
        for spec in FIGURES:
            fig = builders[spec.stem]()
            for ext in ("png", "svg"):
                out[figure_path(spec.stem, lang, ext)] = _render(fig, ext)
    return out


def _render(fig: Figure, ext: str) -> bytes:
    buf = io.BytesIO()
    if ext == "png":
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    else:
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(h_pad=0.08, w_pad=0.08)
    return fig


def _no_data(ax, lang: str) -> None:
    ax.text(0.5, 0.5, TEXT[lang]["no_data"], transform=ax.transAxes, ha="center", va="center", color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def _legend_below(fig: Figure, handles: list, labels: list[str], ncol: int) -> None:
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, handlelength=2.6, columnspacing=1.6)


# 1. KPI trajectories ------------------------------------------------------------------------------

def _kpi_trajectories(k: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    targets, _ = load_targets()
    fig = _figure(13.5, 9.0)
    axes = fig.subplots(2, 3)
    order = ordered_scenarios(k["scenario"].unique())
    styles = _styles(order)
    years = sorted(k["year"].unique())
    step = min(0.09, 0.62 / max(len(order), 1))
    handles: dict[str, object] = {}
    for i, (kpi, ax) in enumerate(zip(STRATEGY_KPIS, axes.flat)):
        rows_k = k[k["kpi"] == kpi]
        place, unit = _place(kpi, targets, rows_k["municipality"])
        rows_k = rows_k[rows_k["municipality"] == place]
        title = f"{i + 1}. {_kpi_label(kpi, lang)}" + (f", {unit}" if unit else "")
        ax.set_title(_wrap(title, 44), loc="left")
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
            h = ax.errorbar(x, rows["mean"], yerr=_err(rows), color=st.colour, marker=st.marker, ms=st.ms,
                            lw=st.lw, ls=st.ls, elinewidth=1.6 if st.prominent else 1.1, capsize=2.5,
                            zorder=st.zorder, mec="white" if st.prominent else st.colour, mew=0.6)
            handles.setdefault(sc, h)
            means.extend(rows["mean"].dropna().tolist())
        target = targets.get(kpi)
        if not means:
            _no_data(ax, lang)
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
            path = _milestone_path(rows_k, years, target.baseline, tval)
            ax.plot(years, path, color=GREY, lw=1.0, ls=(0, (4, 3)), zorder=1)
            handles.setdefault("_milestone", Line2D([], [], color=GREY, lw=1.0, ls=(0, (4, 3))))
        _target_label(ax, tval, target.direction, means, share, lang)
    fig.suptitle(t["traj_title"], fontsize=13, fontweight="bold")
    labels = {"_target": t["target_legend"], "_milestone": t["milestone"]}
    keys = [sc for sc in order if sc in handles] + [h for h in ("_target", "_milestone") if h in handles]
    hs = [handles[key] for key in keys]
    ls = [labels.get(key) or scenario_label(key, lang) for key in keys]
    hs.append(Line2D([], [], color="#000000", marker="|", ms=14, mew=1.4, lw=0))
    ls.append(t["ci_bars"])
    _legend_below(fig, hs, ls, ncol=3)
    return fig


def _milestone_path(rows: pd.DataFrame, years: list[int], baseline: float, target: float) -> list[float]:
    """Expected value each year: baseline + milestone × (target − baseline); the data's `milestone`
    column where given, else 0 up to 2023, 50 % in 2024 and 100 % from 2025."""
    out = []
    for y in years:
        given = rows.loc[rows["year"] == y, "milestone"].dropna()
        share = float(given.iloc[0]) if len(given) else (0.0 if y <= 2023 else 0.5 if y == 2024 else 1.0)
        out.append(baseline + share * (target - baseline))
    return out


def _target_label(ax, value: float, direction: str, means: list[float], share: bool, lang: str) -> None:
    """The target's value written on its line, on the side away from the data, with room made for it."""
    op = "≤" if direction == "<=" else "≥"
    shown = format_percent(value, None, lang) if share else format_number(value, None, lang)
    label = TEXT[lang]["target"].format(year=TARGET_YEAR, op=op, value=shown)
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

def _monthly_axes(ax, rows: pd.DataFrame, order: list[str], styles: dict[str, _Style], banded: set[str],
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
        # the reference on top: where the scenarios coincide (2023) its black line is the one seen
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
        _no_data(ax, lang)
    ax.yaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="y", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_ylim(bottom=0.0)
    return handles


def _differs(r: pd.DataFrame, base: pd.DataFrame, sc: str) -> np.ndarray:
    """Months where a scenario's band differs from the reference's, widened by a month so the band
    joins up (where they coincide, as in 2023, only the reference's band is drawn)."""
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
    ls = [scenario_label(s, lang) for s in keys] + [TEXT[lang]["ci_band"]]
    _legend_below(fig, hs, ls, ncol=3)


def _ukp_in_hospital(m: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    rows = m[(m["kpi"] == "beds_held_by_ukp_mean") & (m["municipality"] == TOTAL)]
    order = ordered_scenarios(rows["scenario"].unique())
    styles = _styles(order)
    banded = _banded(order)
    fig = _figure(11.5, 6.2)
    ax = fig.subplots()
    handles = _monthly_axes(ax, rows, order, styles, banded, lang)
    ax.set_ylabel(t["ukp_ylabel"])
    ax.set_xlabel(t["year"])
    fig.suptitle(t["ukp_title"], fontsize=13, fontweight="bold")
    _monthly_legend(fig, handles, order, lang)
    return fig


def _korttid_occupancy(m: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    rows = m[m["kpi"] == "korttid_beds_occupied"]
    keep = {"baseline", "combined", *KORTTID_INTERVENTIONS}
    rows = rows[rows["scenario"].isin(keep) | ~rows["scenario"].isin(SCENARIOS)]
    places = [TOTAL] + [p for p in ("Trondheim",) if p in set(rows["municipality"])]
    order = ordered_scenarios(rows["scenario"].unique())
    styles = _styles(order)
    banded = _banded(order)
    fig = _figure(13.5, 6.0)
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


# 4. and 6. savings bars ---------------------------------------------------------------------------

def _bar_labels(ax, y, mean, lo, hi, texts, span: float) -> None:
    pad = 0.012 * span
    for yi, mu, l, h, txt in zip(y, mean, lo, hi, texts):
        if not math.isfinite(mu):
            continue
        if mu >= 0:
            x = max(mu, h if math.isfinite(h) else mu) + pad
            ax.text(x, yi, txt, va="center", ha="left", fontsize=8.5)
        else:
            x = min(mu, l if math.isfinite(l) else mu) - pad
            ax.text(x, yi, txt, va="center", ha="right", fontsize=8.5)


def _span(*arrays) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(a, float) for a in arrays] + [np.array([0.0])])
    vals = vals[np.isfinite(vals)]
    return float(vals.min()), float(vals.max())


def _by_effect(order: list[str], effect: pd.Series) -> list[str]:
    """Largest effect first; missing effects last; ties keep the report order."""
    def key(sc: str) -> tuple[float, int]:
        v = float(effect.get(sc, math.nan))
        return (-v if math.isfinite(v) else math.inf, order.index(sc))
    return sorted(order, key=key)


def _scenario_ticks(ax, y, order: list[str], lang: str, extra: dict[str, str] | None = None) -> None:
    labels = []
    for sc in order:
        lab = _wrap(scenario_label(sc, lang), 30)
        if extra and sc in extra:
            lab += "\n" + extra[sc]
        labels.append(lab)
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for tick, sc in zip(ax.get_yticklabels(), order):
        if sc == "combined":
            tick.set_fontweight("bold")


def _effect_ukp_days(s: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    rows = s[(s["quantity"] == "ukp_days_saved") & (s["scenario"] != "baseline")]
    yearly = sorted(p for p in rows["period"].unique() if p.isdigit())
    periods = yearly or sorted(rows["period"].unique())
    order = ordered_scenarios(rows["scenario"].unique())
    total = rows[rows["period"] == TOTAL_PERIOD].set_index("scenario")["mean"]
    last = rows[rows["period"] == (periods[-1] if periods else "")].set_index("scenario")["mean"]
    order = _by_effect(order, total if len(total) else last)
    n, p = len(order), max(len(periods), 1)
    fig = _figure(11.5, max(4.2, 0.24 * n * p + 0.3 * n + 2.0))
    ax = fig.subplots()
    if not n:
        _no_data(ax, lang)
        fig.suptitle(t["effect_title"], fontsize=13, fontweight="bold")
        return fig
    height = 0.8 / p
    centres = np.arange(n)[::-1].astype(float)
    shown = rows[rows["period"].isin(periods)]
    lo_all, hi_all = _span(shown["ci_low"], shown["ci_high"], shown["mean"])
    span = (hi_all - lo_all) or 1.0
    handles = []
    for j, period in enumerate(periods):
        r = rows[rows["period"] == period].set_index("scenario").reindex(order)
        y = centres + (p - 1) / 2 * height - j * height
        colour = YEAR_SHADES[min(j, len(YEAR_SHADES) - 1) if yearly else 2]
        h = ax.barh(y, r["mean"].fillna(0.0), height=height * 0.9, color=colour, zorder=2)
        ax.errorbar(r["mean"], y, xerr=_err(r), fmt="none", ecolor="#222222", elinewidth=1.0, capsize=2.5, zorder=3)
        _bar_labels(ax, y, r["mean"].to_numpy(float), r["ci_low"].to_numpy(float), r["ci_high"].to_numpy(float),
                    [format_number(v, 0, lang) for v in r["mean"]], span)
        handles.append(h)
    extra = {sc: t["effect_total"].format(period=TOTAL_PERIOD, value=format_number(v, 0, lang))
             for sc, v in total.items()} if yearly and len(total) else None
    _scenario_ticks(ax, centres, order, lang, extra)
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
    _legend_below(fig, hs, ls, ncol=len(hs))
    return fig


def _cost_saved(s: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    rows = s[(s["quantity"] == "cost_saved_nok") & (s["scenario"] != "baseline")]
    periods = list(rows["period"].unique())
    period = TOTAL_PERIOD if TOTAL_PERIOD in periods or not periods else max(periods, key=lambda x: (len(x), x))
    r = rows[rows["period"] == period]
    order = ordered_scenarios(r["scenario"].unique())
    r = r.set_index("scenario")
    order = _by_effect(order, r["mean"])
    r = r.reindex(order)
    styles = _styles(ordered_scenarios(order))
    n = len(order)
    fig = _figure(11.5, max(3.8, 0.55 * n + 2.0))
    ax = fig.subplots()
    fig.suptitle(t["cost_title"].format(period=period), fontsize=13, fontweight="bold")
    if not n:
        _no_data(ax, lang)
        return fig
    mill = r[["mean", "ci_low", "ci_high"]] / 1e6
    y = np.arange(n)[::-1].astype(float)
    ax.barh(y, mill["mean"].fillna(0.0), height=0.65, color=[styles[sc].colour for sc in order], zorder=2)
    ax.errorbar(mill["mean"], y, xerr=_err(mill), fmt="none", ecolor="#222222", elinewidth=1.0, capsize=3, zorder=3)
    lo_all, hi_all = _span(mill["ci_low"], mill["ci_high"], mill["mean"])
    span = (hi_all - lo_all) or 1.0
    _bar_labels(ax, y, mill["mean"].to_numpy(float), mill["ci_low"].to_numpy(float), mill["ci_high"].to_numpy(float),
                [t["mill"].format(value=format_number(v, 1, lang)) for v in mill["mean"]], span)
    _scenario_ticks(ax, y, order, lang)
    ax.axvline(0, color="#000000", lw=1.0, zorder=4)
    ax.set_xlim(lo_all - 0.22 * span if lo_all < 0 else 0 - 0.02 * span, hi_all + 0.22 * span)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_formatter(number_formatter(lang))
    ax.grid(axis="x", color="#E5E5E5", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(t["cost_xlabel"].format(period=period))
    _legend_below(fig, [Line2D([], [], color="#222222", marker="|", ms=10, lw=1.0)], [t["ci_whisker"]], ncol=1)
    return fig


# 5. attainment matrix -----------------------------------------------------------------------------

def _attainment(k: pd.DataFrame, lang: str) -> Figure:
    t = TEXT[lang]
    targets, rule = load_targets()
    rows = k[(k["year"] == TARGET_YEAR) & (k["kpi"].isin(STRATEGY_KPIS))]
    order = ordered_scenarios(k["scenario"].unique())
    n = len(order)
    fig = _figure(12.5, max(3.6, 0.62 * n + 3.0))
    ax = fig.subplots()
    fig.suptitle(t["attain_title"].format(year=TARGET_YEAR), fontsize=13, fontweight="bold")
    if not n:
        _no_data(ax, lang)
        return fig
    for col, kpi in enumerate(STRATEGY_KPIS):
        place, _ = _place(kpi, targets, k.loc[k["kpi"] == kpi, "municipality"])
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
            word = STATUS_LABELS[lang][status] if status else ""
            ax.text(col + 0.5, y + 0.5, head + (f"\n{word}" if word else ""), ha="center", va="center",
                    color=STATUS_TEXT[status], fontsize=10, fontweight="bold" if sc == "combined" else "normal",
                    linespacing=1.25)
    ax.set_xlim(0, len(STRATEGY_KPIS))
    ax.set_ylim(0, n)
    heads = []
    for i, kpi in enumerate(STRATEGY_KPIS):
        _, unit = _place(kpi, targets, ())
        heads.append(_wrap(f"{i + 1}. {_kpi_label(kpi, lang)}" + (f", {unit}" if unit else ""), 20))
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(len(STRATEGY_KPIS)) + 0.5, heads, fontsize=9)
    _scenario_ticks(ax, np.arange(n)[::-1] + 0.5, order, lang)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    half = format_percent(rule.yellow_attainment, None, lang)
    rel = format_percent(rule.yellow_relative, None, lang)
    hs = [Patch(facecolor=STATUS_COLOURS[c], edgecolor="#999999", lw=0.5) for c in ("green", "yellow", "red", "")]
    ls = [t["attain_status"][c].format(half=half, rel=rel) for c in ("green", "yellow", "red", "")]
    fig.legend(hs, ls, loc="outside lower center", ncol=2, handlelength=1.6, columnspacing=2.0)
    return fig

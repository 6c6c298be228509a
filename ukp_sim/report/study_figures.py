"""Figures of the standard study: bokmål by default, English with ``lang="en"``.

``study_figures`` renders every figure in ``FIGURES`` as PNG (150 dpi) and SVG and returns the
bytes by relative file name; it writes nothing. The output is deterministic: the same tables give
byte-identical files (``figure_style``). The figures themselves are drawn in ``figure_lines``
(KPIs per year, monthly series) and ``figure_bars`` (savings, attainment, cost).

Input tables (long format, see ``ukp_sim.analysis.study``): ``kpis`` (whole years), ``monthly``
and ``savings``. Any subset of the scenarios in ``SCENARIOS`` may be present, and a planner's own
scenario ids too; they come after the known ones and are labelled by their id. The health
community's names and the years come from ``context`` (``report.context.study_context``); without
one they are read from the tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import pandas as pd

from ukp_sim.report import figure_bars, figure_lines
from ukp_sim.report.context import StudyContext, context_from_places
from ukp_sim.report.figure_style import (  # noqa: F401  (re-exported for callers and tests)
    LOCK,
    RC,
    STRATEGY_KPIS,
    clean_table,
    number_formatter,
    ordered_scenarios,
    percent_formatter,
    render,
)
from ukp_sim.report.locale import check_lang, fill, words
from ukp_sim.report.numbers import format_number, format_percent  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class FigureSpec:
    stem: str


FIGURES: tuple[FigureSpec, ...] = tuple(FigureSpec(stem) for stem in (
    "kpi_trajectories", "ukp_in_hospital", "korttid_occupancy", "effect_ukp_days", "attainment_2025", "cost_saved"))
BUILDERS = {
    "kpi_trajectories": lambda k, m, s, lang, ctx: figure_lines.kpi_trajectories(k, lang, ctx),
    "ukp_in_hospital": lambda k, m, s, lang, ctx: figure_lines.ukp_in_hospital(m, lang, ctx),
    "korttid_occupancy": lambda k, m, s, lang, ctx: figure_lines.korttid_occupancy(m, lang, ctx),
    "effect_ukp_days": lambda k, m, s, lang, ctx: figure_bars.effect_ukp_days(s, lang, ctx),
    "attainment_2025": lambda k, m, s, lang, ctx: figure_bars.attainment(k, lang, ctx),
    "cost_saved": lambda k, m, s, lang, ctx: figure_bars.cost_saved(s, lang, ctx),
}
KPI_COLUMNS = ("scenario", "year", "municipality", "kpi", "mean", "ci_low", "ci_high", "n", "target", "attainment",
               "status", "milestone")
MONTHLY_COLUMNS = ("scenario", "year", "month", "municipality", "kpi", "mean", "ci_low", "ci_high", "n")
SAVING_COLUMNS = ("scenario", "period", "quantity", "mean", "ci_low", "ci_high", "n")


def caption(stem: str, lang: str, context: StudyContext | None = None) -> str:
    """The caption of a figure in bokmål ("nb") or English ("en"), with the community's names and
    years filled in (left as placeholders without a context)."""
    check_lang(lang)
    captions = words(lang, "caption")
    if stem not in captions:
        raise KeyError(f"unknown figure {stem!r}; the figures are {', '.join(s.stem for s in FIGURES)}")
    return captions[stem] if context is None else fill(captions[stem], **context.values(lang))


def figure_path(stem: str, lang: str, ext: str = "png") -> str:
    """Relative file name of a figure: "figures/<stem>.<ext>", "figures/<stem>.en.<ext>" in English."""
    check_lang(lang)
    return f"figures/{stem}{'.en' if lang == 'en' else ''}.{ext}"


def study_figures(kpis: pd.DataFrame, monthly: pd.DataFrame, savings: pd.DataFrame,
                  lang: str = "nb", context: StudyContext | None = None) -> dict[str, bytes]:
    """Render every figure in PNG (dpi 150) and SVG; returns {relative file name: bytes}, e.g.
    {"figures/kpi_trajectories.png": b"...", "figures/kpi_trajectories.svg": ..., ...}; file names
    get the suffix ".en" before the extension for English ("figures/kpi_trajectories.en.png").
    Nothing is written here (the caller writes all files atomically)."""
    check_lang(lang)
    k = clean_table(kpis, KPI_COLUMNS)
    m = clean_table(monthly, MONTHLY_COLUMNS)
    s = clean_table(savings, SAVING_COLUMNS)
    if context is None:
        beds = m[m["kpi"] == "korttid_beds_occupied"].groupby("municipality")["mean"].mean()
        context = context_from_places(set(k["municipality"]) | set(m["municipality"]), k["year"].unique(),
                                      beds.to_dict())
    ctx = context
    out: dict[str, bytes] = {}
    with LOCK, matplotlib.rc_context(RC):
        for spec in FIGURES:
            fig = BUILDERS[spec.stem](k, m, s, lang, ctx)
            for ext in ("png", "svg"):
                out[figure_path(spec.stem, lang, ext)] = render(fig, ext)
    return out

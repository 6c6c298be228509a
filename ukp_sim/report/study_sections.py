"""The result tables of the study report (section 5): KPIs per year, savings, differences in the
goal year, UKP-days per municipality, the baseline check, and an intervention's parameters."""
from __future__ import annotations

import dataclasses
import html
import math

import pandas as pd

from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import TOTAL
from ukp_sim.report.context import StudyContext
from ukp_sim.report.locale import kpi_label, scenario_label, words
from ukp_sim.report.numbers import PERCENT
from ukp_sim.report.study_values import (
    direction,
    find_row,
    interval,
    md_table,
    num,
    over_worlds,
    pct,
    range_text,
    status_cell,
    value_text,
)

STRATEGY_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share", "readmission_30d_share",
                 "korttid_los")
# The acceptance bands of the calibration issue: how far the simulated baseline year may be from the
# observed reference before a KPI's level (and so its status colour) should not be read at face value.
CHECK_BANDS = {"ukp_days": ("rel", 0.05), "zero_day_share": ("abs", 0.03), "mean_ukp_stay": ("abs", 0.5),
               "straight_home_share": ("abs", 0.03), "readmission_30d_share": ("abs", 0.02),
               "korttid_los": ("rel", 0.10)}


def place(kpi: str, ctx: StudyContext) -> str | None:
    """Where a strategy KPI is read: KPI 6 in the community's KPI-6 unit, the rest community-wide."""
    return ctx.unit if kpi == "korttid_los" else TOTAL


def kpi_section(kpis: pd.DataFrame, defs: dict, scenarios: list[str], years: list[int], lang: str,
                ctx: StudyContext) -> str:
    targets, _ = load_targets()
    w = words(lang, "report")
    y_goal = ctx.goal_year
    worlds = int(over_worlds(kpis))  # over worlds: one run's spread
    parts = [w["kpi_worlds_note"]] if worlds else []
    for kpi in STRATEGY_KPIS:
        d, t = defs[kpi], targets[kpi]
        where = place(kpi, ctx)
        title = f"**KPI {t.number}. {kpi_label(kpi, lang, defs)}**" + (f" ({ctx.unit_name})" if where != TOTAL else "")
        title += f" — {w['target']} {direction(t.direction)} {value_text(t.target, d.unit, lang)}"
        header = [w["scenario"], *[str(y) for y in years], f"{w['attain']} {y_goal}", w["status"]]
        if worlds:
            header.append(f"{w['p_met']} {y_goal}")
        rows = []
        for sid in scenarios:
            cells = [scenario_label(sid, lang)]
            for y in years:
                r = find_row(kpis, sid, y, kpi, where)
                cells.append("–" if r is None else interval(r, d.unit, lang, bool(worlds)))
            r = find_row(kpis, sid, y_goal, kpi, where)
            cells += ["–", "–"] if r is None else [pct(r["attainment"], lang), status_cell(r["status"], lang)]
            if worlds:
                cells.append("–" if r is None else pct(r["p_target_met"], lang))
            rows.append(cells)
        align = "l" + "r" * (len(header) - 2 - worlds) + "c" + "r" * worlds
        parts.append(title + "\n\n" + md_table(header, rows, align))
    return "\n\n".join(parts)


def savings_section(savings: pd.DataFrame, scenarios: list[str], lang: str) -> str:
    w = words(lang, "report")
    worlds = over_worlds(savings)
    periods = list(dict.fromkeys(savings["period"]))
    units = {"ukp_days_saved": "days", "cost_saved_nok": "NOK", "beds_freed": "beds"}
    parts = []
    for quantity, unit in units.items():
        header = [w["scenario"], *periods]
        rows = []
        for sid in scenarios:
            if sid == "baseline":
                continue
            cells = [scenario_label(sid, lang)]
            for p in periods:
                r = savings[(savings["scenario"] == sid) & (savings["period"] == p) & (savings["quantity"] == quantity)]
                cells.append("–" if r.empty else interval(r.iloc[0], unit, lang, worlds))
            rows.append(cells)
        parts.append(f"**{words(lang, 'saving')[quantity]}**\n\n" + md_table(header, rows))
    return "\n\n".join(parts)


def differences_section(diffs: pd.DataFrame, defs: dict, scenarios: list[str], year: int, lang: str,
                        ctx: StudyContext) -> str:
    w = words(lang, "report")
    header = [w["scenario"], *[kpi_label(k, lang, defs) for k in STRATEGY_KPIS]]
    rows = []
    for sid in scenarios:
        if sid == "baseline":
            continue
        cells = [scenario_label(sid, lang)]
        for kpi in STRATEGY_KPIS:
            r = diffs[(diffs["scenario"] == sid) & (diffs["year"] == year) & (diffs["kpi"] == kpi)
                      & (diffs["municipality"] == place(kpi, ctx))]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            unit = defs[kpi].unit
            scale, dec = (100, 1) if unit == "share" else (1, 0 if kpi == "ukp_days" else 2)
            text = (f"{num(scale * r['mean_difference'], dec, lang)} "
                    f"({range_text(scale * r['ci_low'], scale * r['ci_high'], dec, lang)})")
            if unit == "share":
                text += w["pp"]
            if not math.isnan(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0):
                text += " *"
            cells.append(text)
        rows.append(cells)
    return md_table(header, rows)


def municipal_effects_section(diffs: pd.DataFrame, scenarios: list[str], year: int, lang: str) -> str:
    """Each measure's change in UKP-days in ``year``, for the community and beside it each
    municipality (most UKP-days in the baseline first): mean (95 % CI, or over worlds the 95 %
    prediction interval) and, over worlds, the shares of worlds better / worse."""
    w = words(lang, "report")
    sel = diffs[(diffs["year"] == year) & (diffs["kpi"] == "ukp_days")
                & ~diffs["municipality"].str.contains("/", regex=False)]
    if sel.empty:
        return ""
    worlds = over_worlds(sel) and "share_worlds_better" in sel.columns
    base = sel[sel["municipality"] != TOTAL].groupby("municipality")["base_mean"].mean()
    places = [TOTAL, *base.sort_values(ascending=False).index]
    shown = [s for s in scenarios if s != "baseline" and (sel["scenario"] == s).any()]
    rows = []
    for place in places:
        cells = [w["community"] if place == TOTAL else place]
        for sid in shown:
            r = sel[(sel["scenario"] == sid) & (sel["municipality"] == place)]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            text = interval(r, "days", lang, worlds, mean="mean_difference")
            if worlds:
                text += f" [{pct(r['share_worlds_better'], lang)} / {pct(r['share_worlds_worse'], lang)}]"
            elif not math.isnan(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0):
                text += " *"
            cells.append(text)
        rows.append(cells)
    note = w["muni_effect_note_worlds"] if worlds else w["muni_effect_note"]
    return note + "\n\n" + md_table([w["municipality"], *[scenario_label(s, lang) for s in shown]], rows)


def municipality_section(kpis: pd.DataFrame, municipalities: list[str], year: int, lang: str) -> str:
    w = words(lang, "report")
    cols = [s for s in ("baseline", "combined") if s in set(kpis["scenario"])]
    worlds = over_worlds(kpis)
    header = [w["municipality"], *[scenario_label(s, lang) for s in cols]]
    rows = []
    for m in municipalities:
        cells = [m]
        for sid in cols:
            r = find_row(kpis, sid, year, "ukp_days_per_1000", m)
            cells.append("–" if r is None else interval(r, "days_per_1000", lang, worlds))
        rows.append(cells)
    return md_table(header, rows)


def baseline_misfits(kpis: pd.DataFrame, year: int, ctx: StudyContext) -> list[tuple[str, float, float]]:
    """(kpi, simulated, observed) for each strategy KPI whose simulated baseline year is outside
    its band around ASU's reference value."""
    targets, _ = load_targets()
    out = []
    for kpi in STRATEGY_KPIS:
        r = find_row(kpis, "baseline", year, kpi, place(kpi, ctx))
        if r is None or math.isnan(r["mean"]):
            continue
        kind, band = CHECK_BANDS[kpi]
        ref = targets[kpi].baseline
        off = abs(r["mean"] - ref) / abs(ref) if kind == "rel" else abs(r["mean"] - ref)
        if off > band:
            out.append((kpi, float(r["mean"]), ref))
    return out


def check_section(kpis: pd.DataFrame, defs: dict, year: int, lang: str, ctx: StudyContext) -> str:
    targets, _ = load_targets()
    w, c = words(lang, "report"), words(lang, "check")
    misfit = {k for k, _, _ in baseline_misfits(kpis, year, ctx)}
    rows = []
    for kpi in STRATEGY_KPIS:
        r = find_row(kpis, "baseline", year, kpi, place(kpi, ctx))
        t, d = targets[kpi], defs[kpi]
        kind, band = CHECK_BANDS[kpi]
        tol = f"± {num(100 * band, 0, lang)}{PERCENT[lang]}" if kind == "rel" else (
            f"± {num(100 * band, 0, lang)} {c['points']}" if d.unit == "share" else f"± {num(band, 1, lang)}")
        rows.append([kpi_label(kpi, lang, defs),
                     "–" if r is None else interval(r, d.unit, lang, over_worlds(kpis)),
                     value_text(t.baseline, d.unit, lang), tol, c["no"] if kpi in misfit else c["yes"]])
    text = w["check_note"].format(year=year) + "\n\n" + md_table(list(c["header"]), rows, "lrrrc")
    if misfit:
        text += "\n\n" + c["misfit_note"]
    return text


def parameter_table(section, lang: str) -> str:
    """The intervention's parameters as the scenario sets them, with the schema's description."""
    w = words(lang, "report")
    rows = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if isinstance(value, dict):
            text = ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
        elif isinstance(value, tuple):
            text = ", ".join(map(str, value)) or w["all"]
        else:
            text = str(value)
        rows.append([f"`{f.name}`", html.escape(text), f.metadata.get("doc", "")])
    return md_table(list(w["param"]), rows, "lll")

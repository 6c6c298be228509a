"""The console KPI table: each KPI's mean and 95 % CI beside its target and status colour.

Reports are in Norwegian (bokmål) by default, English with ``lang="en"``.
"""
from __future__ import annotations

import math

import pandas as pd

from .kpi import TOTAL, WHOLE_YEAR, KpiDefinition
from .targets import load_targets

TABLE_KPIS = (
    "ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share", "readmission_30d_share",
    "korttid_los", "mean_ukp_stay_all", "ukp_stays", "cost_nok", "beds_held_by_ukp_mean",
    "beds_held_by_ukp_p95", "hospital_occupancy",
)
STATUS_WORDS = {
    "nb": {"green": "grønn", "yellow": "gul", "red": "rød", "": ""},
    "en": {"green": "green", "yellow": "yellow", "red": "red", "": ""},
}
HEADERS = {
    "nb": ("KPI", "Snitt", "95 % KI", "Mål", "Status", "År", "replikasjoner"),
    "en": ("KPI", "Mean", "95 % CI", "Target", "Status", "Year", "replications"),
}
ANSI = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}
RESET = "\033[0m"


def fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "NOK":
        return f"{value / 1e6:,.1f} mill.".replace(",", " ")
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.2f}"


def kpi_table(summary: pd.DataFrame, definitions: dict[str, KpiDefinition], lang: str = "nb",
              colour: bool = False) -> str:
    """A text table of the whole community's yearly KPIs (and KPI 6 for its unit)."""
    targets, _ = load_targets()
    h = HEADERS[lang]
    lines = []
    for year in sorted(summary["year"].unique()):
        ys = summary[(summary["year"] == year) & (summary["month"] == WHOLE_YEAR)]
        n = int(ys["n"].max()) if len(ys) else 0
        lines.append(f"{h[5]} {year} ({n} {h[6]})")
        rows = [(h[0], h[1], h[2], h[3], h[4])]
        for kpi in TABLE_KPIS:
            d = definitions[kpi]
            label = d.label_nb if lang == "nb" else d.label_en
            t = targets.get(kpi)
            places = [TOTAL]
            if t is not None and t.scope.startswith("unit:"):
                places = [m for m in ys["municipality"].unique() if t.applies_to(m)] + [TOTAL]
            for place in places:
                r = ys[(ys["kpi"] == kpi) & (ys["municipality"] == place)]
                if r.empty:
                    continue
                r = r.iloc[0]
                name = f"{t.number}. {label}" if t is not None else f"   {label}"
                if place != TOTAL:
                    name += f" ({place.split('/', 1)[1]})"
                elif t is not None and t.scope.startswith("unit:"):
                    name += " (alle)" if lang == "nb" else " (all)"
                ci = f"{fmt(r['ci_low'], d.unit)} – {fmt(r['ci_high'], d.unit)}"
                target = "" if math.isnan(r["target"]) else f"{t.direction} {fmt(r['target'], d.unit)}"
                word = STATUS_WORDS[lang][r["status"]]
                if colour and r["status"]:
                    word = ANSI[r["status"]] + word + RESET
                rows.append((name, fmt(r["mean"], d.unit), ci, target, word))
        widths = [max(len(_plain(row[i])) for row in rows) for i in range(5)]
        for i, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [row[j].rjust(widths[j]) for j in (1, 2, 3)] + [row[4]]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("-" * (sum(widths) + 8))
        lines.append("")
    return "\n".join(lines)


def _plain(text: str) -> str:
    for code in (*ANSI.values(), RESET):
        text = text.replace(code, "")
    return text

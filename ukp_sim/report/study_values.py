"""How the study report writes a value, a confidence interval and a Markdown table.

Every number goes through ``numbers.format_number``; this module only chooses the precision and
unit of each kind of value: shares in percent, kroner in millions, days and stays whole from 100.
"""
from __future__ import annotations

import math

import pandas as pd

from ukp_sim.report.locale import status_label, words
from ukp_sim.report.numbers import PERCENT, format_number


def num(value: float, decimals: int = 0, lang: str = "nb") -> str:
    """A number in the reader's style with fixed decimals."""
    return format_number(value, decimals, lang)


def _scaled(value: float, unit: str, lang: str) -> tuple[float, int, str]:
    """(value in display units, decimals, suffix): shares in percent, NOK in millions."""
    if unit == "share":
        return 100 * value, 1, PERCENT[lang]
    if unit == "NOK":
        return value / 1e6, 1, words(lang, "report")["mnok"]
    if unit in ("days", "stays") and abs(value) >= 100:
        return value, 0, ""
    return value, 1, ""


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_text(value: float, unit: str, lang: str) -> str:
    """A KPI value with its unit's precision: shares in percent, NOK in millions."""
    if _missing(value):
        return "–"
    v, dec, suffix = _scaled(value, unit, lang)
    return num(v, dec, lang) + suffix


def range_text(lo: float, hi: float, decimals: int, lang: str) -> str:
    """'6 885–9 853', or '−0,6 til −0,1' when a bound is negative (a dash would read as a minus)."""
    sep = "–" if lo >= 0 and hi >= 0 else words(lang, "report")["til"]
    return f"{num(lo, decimals, lang)}{sep}{num(hi, decimals, lang)}"


def ci_text(mean: float, lo: float, hi: float, unit: str, lang: str) -> str:
    """'8 369 (6 885–9 853)', '71,2 (70,1–72,3) %', '−0,3 (−0,6 til −0,1)': the mean and its 95 % CI,
    the unit once."""
    if _missing(mean):
        return "–"
    if isinstance(lo, float) and math.isnan(lo):
        return value_text(mean, unit, lang)
    v, dec, suffix = _scaled(mean, unit, lang)
    if unit in ("days", "stays") and max(abs(mean), abs(lo), abs(hi)) >= 100:
        dec = 0
    scale = {"share": 100.0, "NOK": 1e-6}.get(unit, 1.0)
    return f"{num(v, dec, lang)} ({range_text(lo * scale, hi * scale, dec, lang)})" + suffix


def direction(d: str) -> str:
    return {"<=": "≤", ">=": "≥"}.get(d, d)


def pct(value: float, lang: str) -> str:
    """A share as a whole percentage, "–" when missing."""
    return "–" if _missing(value) else num(100 * value, 0, lang) + PERCENT[lang]


def md_table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def status_cell(status: str, lang: str) -> str:
    if not status:
        return "–"
    return f'<span class="st st-{status}">{status_label(status, lang)}</span>'


def find_row(kpis: pd.DataFrame, scenario: str, year: int, kpi: str, place: str | None) -> pd.Series | None:
    r = kpis[(kpis["scenario"] == scenario) & (kpis["year"] == year) & (kpis["kpi"] == kpi)
             & (kpis["municipality"] == place)]
    return None if r.empty else r.iloc[0]


def over_worlds(table: pd.DataFrame) -> bool:
    """A table of a study over more than one plausible world: its intervals to show are the
    prediction intervals (``pi_low``/``pi_high``), not the CIs of the mean (one world, or
    ``--world K``, keeps the CIs)."""
    return ("worlds" in table.columns and "pi_low" in table.columns
            and bool((pd.to_numeric(table["worlds"], errors="coerce") > 1).any()))


def interval(row: pd.Series, unit: str, lang: str, worlds: bool, mean: str = "mean") -> str:
    """``ci_text`` of a row with the prediction interval over worlds, else with the 95 % CI."""
    lo, hi = ("pi_low", "pi_high") if worlds else ("ci_low", "ci_high")
    return ci_text(row[mean], row[lo], row[hi], unit, lang)

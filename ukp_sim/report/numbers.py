"""The one number formatter of the reports, figures and console tables.

Babel's CLDR data gives each language its marks: bokmål writes "1 767" and "0,5" with a
non-breaking space (U+00A0) between thousands, so an HTML page or a table never breaks inside a
number; English writes "1,767" and "0.5". Negative numbers take the typographic minus "−" in both
languages, and a value that rounds to zero has no sign. Rounding is Python's (round half to
even on the float's exact value), so a number reads the same as before in every digit.
"""
from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

from ukp_sim.report.locale import check_lang

MINUS = "−"
NBSP = "\u00a0"
PERCENT = {"nb": NBSP + "%", "en": NBSP + "%"}  # "71 %" in both, as the house style writes it; never broken


@lru_cache(maxsize=64)
def _pattern(decimals: int | None):
    from babel.numbers import parse_pattern

    frac = ".######" if decimals is None else ("." + "0" * decimals if decimals else "")
    return parse_pattern("#,##0" + frac)


@lru_cache(maxsize=4)
def _locale(lang: str):
    from babel import Locale

    return Locale.parse(check_lang(lang))


def format_number(value: float | None, decimals: int | None = None, lang: str = "nb") -> str:
    """A number as a planner reads it: "1 767" and "0,5" in bokmål, "1,767" and "0.5" in English.

    ``decimals=None`` gives the shortest form up to six decimals; NaN, infinity and None give "–".
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    value = float(value)
    text = _pattern(decimals).apply(Decimal(abs(value)), _locale(lang))  # Decimal(float) is exact
    negative = value < 0 and any(c in "123456789" for c in text)
    return (MINUS if negative else "") + text


def format_percent(share: float | None, decimals: int | None = 0, lang: str = "nb") -> str:
    """A fraction as a percentage: 0.71 -> "71 %" (a non-breaking space before "%")."""
    if share is None or not math.isfinite(float(share)):
        return "–"
    return format_number(float(share) * 100, decimals, lang) + PERCENT[lang]


def format_signed(value: float | None, decimals: int | None = None, lang: str = "nb") -> str:
    """A difference with its sign always shown: "+1 234", "−0,50", "±0"."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    text = format_number(value, decimals, lang)
    if text.startswith(MINUS):
        return text
    return ("±" if not any(c in "123456789" for c in text) else "+") + text

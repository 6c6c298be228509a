"""Dates as users write them and period arithmetic, shared by the scenario schema and the model."""
from __future__ import annotations

import datetime as dt

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_month_day(text: str) -> tuple[int, int]:
    """'07-01' -> (7, 1); raises ValueError on anything else."""
    month_s, day_s = text.split("-")
    month, day = int(month_s), int(day_s)
    dt.date(2024, month, day)  # validates (2024 is a leap year, so 02-29 is accepted)
    return month, day


def in_period(date: dt.date, start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether ``date`` lies in the yearly period start..end (inclusive); the period may wrap
    over New Year (Christmas: 12-22..01-02)."""
    md = (date.month, date.day)
    if start <= end:
        return start <= md <= end
    return md >= start or md <= end


def add_years(date: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def period_bounds(start: dt.date, years: int, warmup_days: int) -> tuple[dt.date, dt.date, dt.date]:
    """(simulation origin, first day of the reported period, first day after it)."""
    return start - dt.timedelta(days=warmup_days), start, add_years(start, years)

"""Dates, weekdays, Norwegian public holidays and holiday periods.

Simulation time is measured in days (floats) from midnight of the simulation's first day,
``origin``. Everything calendar-dependent (who receives patients when, how many admissions a day
brings) is precomputed per day into numpy arrays, so the simulation's hot loop only indexes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ukp_sim.base.dates import WEEKDAYS, add_years, in_period, parse_month_day, period_bounds

__all__ = ["WEEKDAYS", "SimCalendar", "add_years", "easter_sunday", "in_period", "next_true_day",
           "norwegian_public_holidays", "parse_month_day", "period_bounds"]


def next_true_day(mask) -> list[int]:
    """For each day i of ``mask`` and for i = len(mask): the first day >= i where ``mask`` holds,
    or -1 if none does. A look-up table, so the next open day is one index in the hot loop."""
    mask = np.asarray(mask, dtype=bool)
    n = mask.size
    first = np.minimum.accumulate(np.where(mask, np.arange(n), n)[::-1])[::-1]
    out = np.append(first, n)
    out[out == n] = -1
    return out.tolist()


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=256)
def norwegian_public_holidays(year: int) -> dict[dt.date, str]:
    """The Norwegian public holidays (helligdager and høytidsdager) of ``year``, date -> name.

    Twelve holidays, but fewer dates in years where two coincide (2. pinsedag on 17 May in 2027):
    such a date carries both names. Sundays are not listed unless they are named holidays;
    weekend closure is a separate rule.
    """
    easter = easter_sunday(year)
    named = [
        (dt.date(year, 1, 1), "Første nyttårsdag"),
        (easter - dt.timedelta(days=3), "Skjærtorsdag"),
        (easter - dt.timedelta(days=2), "Langfredag"),
        (easter, "Første påskedag"),
        (easter + dt.timedelta(days=1), "Andre påskedag"),
        (dt.date(year, 5, 1), "Offentlig høytidsdag"),
        (dt.date(year, 5, 17), "Grunnlovsdag"),
        (easter + dt.timedelta(days=39), "Kristi himmelfartsdag"),
        (easter + dt.timedelta(days=49), "Første pinsedag"),
        (easter + dt.timedelta(days=50), "Andre pinsedag"),
        (dt.date(year, 12, 25), "Første juledag"),
        (dt.date(year, 12, 26), "Andre juledag"),
    ]
    days: dict[dt.date, str] = {}
    for date, name in named:
        days[date] = f"{days[date]} / {name}" if date in days else name
    return days


@dataclass(frozen=True)
class SimCalendar:
    """Per-day calendar facts for the simulated horizon, starting at ``origin`` (t = 0)."""

    origin: dt.date
    n_days: int
    dates: tuple[dt.date, ...]
    weekday: np.ndarray  # 0 = Monday
    year: np.ndarray
    month: np.ndarray  # 1..12
    public_holiday: np.ndarray  # bool
    holiday_period: np.ndarray  # bool: summer holiday or Christmas
    christmas_period: np.ndarray | None = None  # bool: the Christmas part of holiday_period, if given

    @classmethod
    def build(
        cls,
        origin: dt.date,
        n_days: int,
        holiday_periods: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
        christmas: tuple[tuple[int, int], tuple[int, int]] | None = None,
    ) -> "SimCalendar":
        """``christmas``: which of the holiday periods is Christmas, for a capacity cut of its own."""
        dates = tuple(origin + dt.timedelta(days=i) for i in range(n_days))
        weekday = np.fromiter((d.weekday() for d in dates), dtype=np.int8, count=n_days)
        year = np.fromiter((d.year for d in dates), dtype=np.int16, count=n_days)
        month = np.fromiter((d.month for d in dates), dtype=np.int8, count=n_days)
        public = np.fromiter(
            (d in norwegian_public_holidays(d.year) for d in dates), dtype=bool, count=n_days
        )
        period = np.fromiter(
            (any(in_period(d, s, e) for s, e in holiday_periods) for d in dates),
            dtype=bool,
            count=n_days,
        )
        xmas = None
        if christmas is not None:
            xmas = np.fromiter((in_period(d, *christmas) for d in dates), dtype=bool, count=n_days)
        return cls(origin, n_days, dates, weekday, year, month, public, period, xmas)

    def holiday_factor_by_day(self, summer: float, christmas: float | None) -> float | np.ndarray:
        """The share of capacity open on each holiday day: ``summer`` in every holiday period, or
        ``christmas`` at Christmas when given (a scalar when it is not, so the old arithmetic holds)."""
        if christmas is None or self.christmas_period is None:
            return summer
        return np.where(self.christmas_period, christmas, summer)

    def day_of(self, date: dt.date) -> int:
        return (date - self.origin).days

    def daily_rate_factors(
        self, season_profile: tuple[float, ...], weekday_profile: tuple[float, ...], amplitude: float = 1.0
    ) -> np.ndarray:
        """Relative admission intensity per day, normalised so that the mean over a whole
        year is 1 for the season profile and the mean over a week is 1 for the weekday profile.

        The season profile is weighted by the days in each month, so a profile that is flat
        gives exactly the annual rate whatever the month lengths. ``amplitude`` stretches the
        normalised profile's deviations from 1 (2: twice the winter peak and the July low; 1: as
        given, computed exactly as before), floored at 5 % and normalised again.
        """
        season = np.asarray(season_profile, dtype=float)
        days_in_month = np.array([31, 28.2425, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        season = season / (season @ days_in_month / days_in_month.sum())
        if amplitude != 1.0:
            season = np.maximum(1.0 + amplitude * (season - 1.0), 0.05)
            season = season / (season @ days_in_month / days_in_month.sum())
        week = np.asarray(weekday_profile, dtype=float)
        week = week / week.mean()
        return season[self.month - 1] * week[self.weekday]

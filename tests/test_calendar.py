"""Calendar facts: Easter, Norwegian public holidays, holiday periods, daily admission factors."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ukp_sim.sim.calendar import (
    WEEKDAYS,
    SimCalendar,
    easter_sunday,
    in_period,
    next_true_day,
    norwegian_public_holidays,
    parse_month_day,
)

D = dt.date
SUMMER = ((7, 1), (8, 10))
CHRISTMAS = ((12, 22), (1, 2))
# The baseline's profiles (scenarios/prior/baseline_prior.toml), January / Monday first.
BASELINE_SEASON = (1.10, 1.06, 1.03, 0.98, 0.98, 0.97, 0.86, 0.97, 1.01, 1.02, 1.02, 0.96)
BASELINE_WEEKDAY = (1.18, 1.10, 1.06, 1.04, 1.00, 0.78, 0.84)


# --------------------------------------------------------------------------------------------
# Easter
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "year, expected",
    [
        (2022, D(2022, 4, 17)),
        (2023, D(2023, 4, 9)),
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        # extremes of the Gregorian range: earliest (22 March) and latest (25 April) Easter
        (2285, D(2285, 3, 22)),
        (2038, D(2038, 4, 25)),
    ],
)
def test_easter_sunday_of_known_years(year, expected):
    assert easter_sunday(year) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1900, max_value=2200))
def test_easter_is_a_sunday_between_22_march_and_25_april(year):
    easter = easter_sunday(year)
    assert easter.year == year
    assert easter.weekday() == 6  # Sunday
    assert D(year, 3, 22) <= easter <= D(year, 4, 25)


# --------------------------------------------------------------------------------------------
# Public holidays
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025, 2026])
def test_twelve_public_holidays_in_an_ordinary_year(year):
    holidays = norwegian_public_holidays(year)
    assert len(holidays) == 12
    assert all(d.year == year for d in holidays)


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025, 2026])
def test_movable_and_fixed_holidays_are_where_norwegian_law_puts_them(year):
    holidays = norwegian_public_holidays(year)
    easter = easter_sunday(year)
    expected = {
        D(year, 1, 1),
        easter - dt.timedelta(days=3),  # Skjærtorsdag
        easter - dt.timedelta(days=2),  # Langfredag
        easter,  # 1. påskedag
        easter + dt.timedelta(days=1),  # 2. påskedag
        D(year, 5, 1),
        D(year, 5, 17),
        easter + dt.timedelta(days=39),  # Kristi himmelfartsdag
        easter + dt.timedelta(days=49),  # 1. pinsedag
        easter + dt.timedelta(days=50),  # 2. pinsedag
        D(year, 12, 25),
        D(year, 12, 26),
    }
    assert set(holidays) == expected
    # Skjærtorsdag is a Thursday, Langfredag a Friday, Kristi himmelfart a Thursday,
    # 2. påskedag and 2. pinsedag Mondays.
    assert (easter - dt.timedelta(days=3)).weekday() == 3
    assert (easter - dt.timedelta(days=2)).weekday() == 4
    assert (easter + dt.timedelta(days=39)).weekday() == 3
    assert (easter + dt.timedelta(days=1)).weekday() == 0
    assert (easter + dt.timedelta(days=50)).weekday() == 0


def test_public_holidays_2022_by_name():
    h = norwegian_public_holidays(2022)
    assert h[D(2022, 4, 14)] == "Skjærtorsdag"
    assert h[D(2022, 4, 15)] == "Langfredag"
    assert h[D(2022, 4, 18)] == "Andre påskedag"
    assert h[D(2022, 5, 26)] == "Kristi himmelfartsdag"
    assert h[D(2022, 6, 6)] == "Andre pinsedag"
    assert h[D(2022, 5, 17)] == "Grunnlovsdag"
    assert h[D(2022, 12, 25)] == "Første juledag"
    assert h[D(2022, 12, 26)] == "Andre juledag"


def test_ordinary_days_and_plain_sundays_are_not_public_holidays():
    h = norwegian_public_holidays(2022)
    assert D(2022, 4, 19) not in h  # Tuesday after Easter
    assert D(2022, 12, 24) not in h  # Julaften is not a public holiday
    assert D(2022, 3, 6) not in h  # an ordinary Sunday


def test_17_may_stays_a_holiday_when_2_pinsedag_falls_on_it():
    # In 2027 Easter is 28 March, so 2. pinsedag (Easter + 50) is 17 May: one date, two holidays.
    assert easter_sunday(2027) == D(2027, 3, 28)
    h = norwegian_public_holidays(2027)
    assert D(2027, 5, 17) in h
    assert len(h) == 11  # the coinciding holidays are a single date


# --------------------------------------------------------------------------------------------
# Holiday periods
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "date, inside",
    [
        (D(2022, 12, 21), False),
        (D(2022, 12, 22), True),
        (D(2022, 12, 31), True),
        (D(2023, 1, 1), True),
        (D(2023, 1, 2), True),
        (D(2023, 1, 3), False),
        (D(2023, 7, 15), False),
    ],
)
def test_christmas_period_wraps_new_year(date, inside):
    assert in_period(date, *CHRISTMAS) is inside


@pytest.mark.parametrize(
    "date, inside",
    [
        (D(2022, 6, 30), False),
        (D(2022, 7, 1), True),
        (D(2022, 7, 31), True),
        (D(2022, 8, 10), True),
        (D(2022, 8, 11), False),
        (D(2022, 1, 1), False),
        (D(2022, 12, 31), False),
    ],
)
def test_summer_holiday_period_is_inclusive_at_both_ends(date, inside):
    assert in_period(date, *SUMMER) is inside


def test_parse_month_day_reads_mm_dd_and_rejects_impossible_dates():
    assert parse_month_day("07-01") == (7, 1)
    assert parse_month_day("02-29") == (2, 29)
    for bad in ("13-01", "02-30", "0701", "07-01-02"):
        with pytest.raises(ValueError):
            parse_month_day(bad)


# --------------------------------------------------------------------------------------------
# SimCalendar
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cal_2021_2023():
    """1 Dec 2021 for 800 days: covers all of 2022 and part of 2021 and 2023 (wrapping Christmas)."""
    return SimCalendar.build(D(2021, 12, 1), 800, (SUMMER, CHRISTMAS))


def test_calendar_arrays_match_datetime(cal_2021_2023):
    cal = cal_2021_2023
    assert cal.n_days == 800 == len(cal.dates)
    for arr in (cal.weekday, cal.year, cal.month, cal.public_holiday, cal.holiday_period):
        assert arr.shape == (800,)
    for i, d in enumerate(cal.dates):
        assert d == cal.origin + dt.timedelta(days=i)
        assert cal.weekday[i] == d.weekday()
        assert cal.month[i] == d.month
        assert cal.year[i] == d.year
        assert cal.day_of(d) == i
    assert WEEKDAYS[cal.weekday[cal.day_of(D(2022, 1, 1))]] == "sat"


def test_calendar_flags_exactly_the_public_holidays(cal_2021_2023):
    cal = cal_2021_2023
    expected = np.array([d in norwegian_public_holidays(d.year) for d in cal.dates])
    np.testing.assert_array_equal(cal.public_holiday, expected)
    in_2022 = cal.year == 2022
    assert cal.public_holiday[in_2022].sum() == 12
    for d in (D(2022, 4, 14), D(2022, 5, 17), D(2022, 5, 26), D(2022, 6, 6), D(2021, 12, 25)):
        assert cal.public_holiday[cal.day_of(d)]
    for d in (D(2022, 4, 19), D(2022, 12, 24), D(2022, 6, 7)):
        assert not cal.public_holiday[cal.day_of(d)]


def test_calendar_flags_summer_and_christmas_holiday_periods(cal_2021_2023):
    cal = cal_2021_2023
    in_2022 = cal.year == 2022
    # 1 Jul..10 Aug = 41 days, 1..2 Jan = 2 days, 22..31 Dec = 10 days
    assert cal.holiday_period[in_2022].sum() == 41 + 2 + 10
    for d in (D(2021, 12, 22), D(2022, 1, 2), D(2022, 7, 1), D(2022, 8, 10), D(2022, 12, 31), D(2023, 1, 1)):
        assert cal.holiday_period[cal.day_of(d)], d
    for d in (D(2021, 12, 21), D(2022, 1, 3), D(2022, 6, 30), D(2022, 8, 11), D(2022, 12, 21)):
        assert not cal.holiday_period[cal.day_of(d)], d


def test_calendar_without_holiday_periods_flags_none():
    cal = SimCalendar.build(D(2022, 1, 1), 365)
    assert not cal.holiday_period.any()
    assert cal.public_holiday.sum() == 12


def test_flat_profiles_give_every_day_the_annual_rate():
    cal = SimCalendar.build(D(2022, 1, 1), 400)
    factors = cal.daily_rate_factors((1.0,) * 12, (1.0,) * 7)
    assert factors.shape == (400,)
    np.testing.assert_allclose(factors, 1.0, rtol=0, atol=1e-12)
    # a profile that is flat at another level is normalised to the same thing
    np.testing.assert_allclose(cal.daily_rate_factors((3.0,) * 12, (0.5,) * 7), 1.0, atol=1e-12)


@pytest.mark.parametrize(
    "season",
    [BASELINE_SEASON, (1.3, 1.2, 1.0, 0.9, 0.9, 0.8, 0.6, 0.8, 1.0, 1.1, 1.2, 1.2)],
)
def test_season_profile_keeps_the_yearly_mean_rate(season):
    cal = SimCalendar.build(D(2022, 1, 1), 365)  # a non-leap year
    factors = cal.daily_rate_factors(season, (1.0,) * 7)
    # day-weighted yearly mean is 1 (Feb is weighted 28.2425 days, so not exact for 2022)
    assert abs(factors.mean() - 1.0) < 1e-3
    # and the months keep their relative sizes
    jan, jul = factors[cal.day_of(D(2022, 1, 15))], factors[cal.day_of(D(2022, 7, 15))]
    assert jul / jan == pytest.approx(season[6] / season[0], rel=1e-12)


def test_weekday_profile_keeps_the_weekly_mean_rate():
    cal = SimCalendar.build(D(2022, 1, 3), 52 * 7)  # a Monday, whole weeks
    factors = cal.daily_rate_factors((1.0,) * 12, BASELINE_WEEKDAY)
    assert factors.mean() == pytest.approx(1.0, abs=1e-12)
    for i in range(7):
        assert factors[i] == pytest.approx(BASELINE_WEEKDAY[i] / np.mean(BASELINE_WEEKDAY), rel=1e-12)
    monday, saturday = factors[cal.day_of(D(2022, 1, 3))], factors[cal.day_of(D(2022, 1, 8))]
    assert monday / saturday == pytest.approx(1.18 / 0.78, rel=1e-12)


def test_season_and_weekday_profiles_multiply():
    cal = SimCalendar.build(D(2022, 1, 1), 365)
    both = cal.daily_rate_factors(BASELINE_SEASON, BASELINE_WEEKDAY)
    season_only = cal.daily_rate_factors(BASELINE_SEASON, (1.0,) * 7)
    week_only = cal.daily_rate_factors((1.0,) * 12, BASELINE_WEEKDAY)
    np.testing.assert_allclose(both, season_only * week_only, rtol=1e-12)


def test_next_true_day_is_the_first_day_at_or_after_with_the_mask_set():
    rng = np.random.default_rng(0)
    for _ in range(300):
        mask = rng.random(int(rng.integers(0, 30))) < rng.random()
        expected = [next((j for j in range(i, mask.size) if mask[j]), -1) for i in range(mask.size + 1)]
        assert next_true_day(mask) == expected

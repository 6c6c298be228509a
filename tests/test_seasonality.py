"""Seasonality that can bind in winter: a Christmas capacity cut of its own and the amplitude with
which the admissions that need municipal services follow the season profile. Both default to the
old behaviour (the summer's factor at Christmas, amplitude 1), which must reproduce runs exactly."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.calendar import SimCalendar
from ukp_sim.sim.model import Model

D = dt.date
SUMMER = ((7, 1), (8, 10))
CHRISTMAS = ((12, 22), (1, 2))
SEASON = (1.10, 1.06, 1.03, 0.98, 0.98, 0.97, 0.86, 0.97, 1.01, 1.02, 1.02, 0.96)


def test_the_calendar_knows_which_holiday_days_are_christmas():
    cal = SimCalendar.build(D(2021, 12, 1), 800, (SUMMER, CHRISTMAS), christmas=CHRISTMAS)
    assert (cal.christmas_period <= cal.holiday_period).all()  # a part of the holiday periods
    in_2022 = cal.year == 2022
    assert cal.christmas_period[in_2022].sum() == 2 + 10  # 1-2 Jan and 22-31 Dec
    for d in (D(2021, 12, 22), D(2022, 1, 2), D(2022, 12, 31)):
        assert cal.christmas_period[cal.day_of(d)], d
    for d in (D(2022, 7, 15), D(2022, 1, 3), D(2022, 12, 21)):
        assert not cal.christmas_period[cal.day_of(d)], d


def test_the_holiday_factor_is_the_summers_unless_christmas_has_its_own():
    cal = SimCalendar.build(D(2022, 1, 1), 365, (SUMMER, CHRISTMAS), christmas=CHRISTMAS)
    assert cal.holiday_factor_by_day(0.8, None) == 0.8  # a scalar: the old arithmetic, exactly
    by_day = cal.holiday_factor_by_day(0.8, 0.6)
    assert by_day[cal.day_of(D(2022, 7, 15))] == 0.8
    assert by_day[cal.day_of(D(2022, 12, 24))] == 0.6
    assert by_day[cal.day_of(D(2022, 1, 1))] == 0.6


def test_amplitude_one_is_the_profile_exactly_and_zero_is_flat():
    cal = SimCalendar.build(D(2022, 1, 1), 730)
    plain = cal.daily_rate_factors(SEASON, (1.0,) * 7)
    np.testing.assert_array_equal(cal.daily_rate_factors(SEASON, (1.0,) * 7, 1.0), plain)
    np.testing.assert_allclose(cal.daily_rate_factors(SEASON, (1.0,) * 7, 0.0), 1.0, atol=1e-12)


@pytest.mark.parametrize("amplitude", [0.5, 2.0, 3.0])
def test_amplitude_multiplies_each_months_deviation_from_the_mean(amplitude):
    """The normalised profile has day-weighted mean 1, so 1 + a(p - 1) keeps that mean: no
    renormalisation shifts it while no month falls to the 5 % floor (not with these a)."""
    cal = SimCalendar.build(D(2022, 1, 1), 365)
    plain = cal.daily_rate_factors(SEASON, (1.0,) * 7)
    stretched = cal.daily_rate_factors(SEASON, (1.0,) * 7, amplitude)
    np.testing.assert_allclose(stretched - 1.0, amplitude * (plain - 1.0), atol=1e-12)


def test_a_month_stretched_below_the_floor_stops_at_five_percent_and_the_year_keeps_its_rate():
    cal = SimCalendar.build(D(2022, 1, 1), 365)
    profile = (2.0,) + (1.0,) * 11
    plain = cal.daily_rate_factors(profile, (1.0,) * 7)
    f = cal.daily_rate_factors(profile, (1.0,) * 7, 20.0)
    jan, jun = cal.day_of(D(2022, 1, 10)), cal.day_of(D(2022, 6, 10))
    assert 1 + 20 * (plain[jun] - 1) < 0  # would be negative without the floor
    assert f[jun] / f[jan] == pytest.approx(0.05 / (1 + 20 * (plain[jan] - 1)), rel=1e-12)
    assert abs(f.mean() - 1.0) < 2e-3  # renormalised (Feb weighted 28.2425 days, so not exact)


def _same_run(a: Model, b: Model) -> None:
    ra, rb = a.run(), b.run()
    for col in ("t_admitted", "t_declared", "t_discharged"):
        np.testing.assert_array_equal(ra.stays[col], rb.stays[col])


def test_switched_off_both_mechanisms_reproduce_the_run_exactly(write_scenario, small_scenario):
    """A Christmas factor equal to the summer's and amplitude 1, written out, are the old run."""
    explicit = load_scenario(write_scenario(
        "[hospital]\nneeds_season_amplitude = 1.0\n[municipalities.Testby.reception]\n"
        f"christmas_capacity_factor = {small_scenario.municipalities['Testby'].reception.holiday_capacity_factor}\n",
        name="explicit.toml"))
    _same_run(Model(small_scenario, 11, 2), Model(explicit, 11, 2))


def test_a_christmas_cut_closes_beds_and_intake_only_at_christmas(write_scenario):
    scenario = load_scenario(write_scenario(
        "[municipalities.Testby.reception]\nholiday_capacity_factor = 1.0\nchristmas_capacity_factor = 0.5\n"
        "[municipalities.Testby]\nhome_service_intake_per_day = 4.0\n", name="xmas.toml"))
    model = Model(scenario, 1, 0)
    m = model.munis[0]
    unit = m.units[0]
    cap = model._unit_capacity_by_day(m, unit)
    cal = model.cal
    xmas, summer = cal.christmas_period, cal.holiday_period & ~cal.christmas_period
    assert xmas.any() and summer.any()
    assert (cap[xmas] == np.floor(unit.beds * 0.5 + 0.5)).all()
    assert (cap[summer] == unit.beds).all() and (cap[~cal.holiday_period] == unit.beds).all()
    intake = np.asarray(m.intake.capacity)
    is_open = np.asarray(m.reception.is_open)
    # 4 starts on every open day outside Christmas; 2 on every open Christmas day
    assert (intake[is_open & ~xmas] == 4).all()
    assert (intake[is_open & xmas] == 2).all()


def test_the_model_draws_ukp_admissions_at_the_stretched_rate(write_scenario, admission_rates):
    """The rate the model hands to the admission draws is the profile stretched by the amplitude."""
    rates = {}
    for amplitude in (1.0, 2.5):
        body = ("[hospital]\nseason_profile = [" + ", ".join(map(str, SEASON)) + "]\n"
                f"needs_season_amplitude = {amplitude}\n")
        model = Model(load_scenario(write_scenario(body, name=f"a{amplitude}.toml")), 3, 0)
        model.run()
        rates[amplitude] = admission_rates.pop()
    cal = model.cal
    ratio = rates[2.5] / rates[1.0]
    expected = cal.daily_rate_factors(SEASON, (1.0,) * 7, 2.5) / cal.daily_rate_factors(SEASON, (1.0,) * 7)
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)


def test_a_stronger_amplitude_moves_ukp_admissions_from_july_to_january(write_scenario):
    """Amplitude 3 on the baseline profile, end to end: counted over the first admissions of six
    years (some 170 a month; nobody goes to korttid, so the run stays light), January's admissions
    over July's are within 4 standard errors of the ratio of the stretched rates (about 2.3), and
    the unstretched ratio (about 1.3) lies far outside that band."""
    body = ("[period]\nyears = 6\n[hospital]\nadmissions_per_year = 20400\nseason_profile = ["
            + ", ".join(map(str, SEASON)) + "]\nweekday_profile = [1, 1, 1, 1, 1, 1, 1]\n"
            "needs_season_amplitude = 3.0\n[municipalities.Testby]\n"
            "destination = { korttid = 0.0, home_new_services = 0.0, home_no_new_services = 1.0 }\n")
    model = Model(load_scenario(write_scenario(body, name="amp.toml")), 5, 0)
    stays = model.run().stays
    cal = model.cal
    first = (np.asarray(stays["episode"]) == 1) & ~np.asarray(stays["initial"], dtype=bool)  # not readmissions
    day = np.floor(np.asarray(stays["t_admitted"])[first]).astype(int)
    month = cal.month[day[(day >= 0) & (day < cal.n_days)]]
    jan, jul = (month == 1).sum(), (month == 7).sum()
    expected = _month_ratio(cal, cal.daily_rate_factors(SEASON, (1.0,) * 7, 3.0))
    plain = _month_ratio(cal, cal.daily_rate_factors(SEASON, (1.0,) * 7))
    se = (jan / jul) * np.sqrt(1 / jan + 1 / jul)
    assert abs(jan / jul - expected) < 4 * se, (jan, jul, expected)
    assert abs(plain - expected) > 6 * se  # so an amplitude the model ignored would fail the line above


def _month_ratio(cal: SimCalendar, rates: np.ndarray) -> float:
    return rates[cal.month == 1].sum() / rates[cal.month == 7].sum()

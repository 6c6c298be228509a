"""Office-hours decisions: with a municipality's [office] enabled, its decision_hours are working
hours, counted only on its working days between open_hour and close_hour (public holidays closed),
so a notice late on Friday is decided on Monday. Off by default, which leaves every result as it
was (the backtest and the golden-output checks pin that)."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from ukp_sim.config.scenario import Office
from ukp_sim.sim.calendar import SimCalendar
from ukp_sim.sim.model import Model
from ukp_sim.sim.opening_hours import OfficeHours

MONDAY = dt.date(2024, 1, 8)  # a week with no public holiday


@pytest.fixture(scope="module")
def office() -> OfficeHours:
    cal = SimCalendar.build(MONDAY, 60)
    return OfficeHours(Office(enabled=True, open_hour=8.0, close_hour=15.5), cal)


def at(day: int, hour: float) -> float:
    return day + hour / 24.0


def test_work_inside_one_opening_ends_the_same_day(office):
    assert office.finish(at(0, 9.0), 3.0) == pytest.approx(at(0, 12.0))


def test_a_notice_before_opening_starts_at_opening(office):
    assert office.finish(at(1, 2.0), 1.0) == pytest.approx(at(1, 9.0))


def test_friday_afternoon_work_goes_on_on_monday(office):
    # Friday 14:00 with 3 hours of work: 1.5 h on Friday, 1.5 h from Monday 08:00
    assert office.finish(at(4, 14.0), 3.0) == pytest.approx(at(7, 9.5))


def test_a_saturday_notice_is_decided_on_monday(office):
    assert office.finish(at(5, 10.0), 0.5) == pytest.approx(at(7, 8.5))


def test_long_work_spans_several_working_days(office):
    # 7.5 open hours a day: 20 hours from Monday 08:00 end on Wednesday 08:00 + 5 h
    assert office.finish(at(0, 8.0), 20.0) == pytest.approx(at(2, 13.0))


def test_no_work_needs_no_office(office):
    assert office.finish(at(5, 23.0), 0.0) == at(5, 23.0)


def test_work_past_the_calendar_never_ends(office):
    assert math.isinf(office.finish(at(59, 9.0), 100.0))


def test_public_holidays_are_closed():
    # Friday 17 May 2024 is Constitution Day and Monday 20 May Whit Monday: Thursday's unfinished
    # half hour goes on on Tuesday 21 May
    cal = SimCalendar.build(dt.date(2024, 5, 13), 30)
    o = OfficeHours(Office(enabled=True), cal)
    thursday = 3
    assert o.finish(at(thursday, 15.0), 1.0) == pytest.approx(at(8, 8.5))


def test_every_decision_ends_in_office_hours_on_a_working_day(write_scenario):
    from ukp_sim.config.loader import load_scenario

    path = write_scenario("[municipalities.Testby]\ndecision_hours = { kind = 'lognormal', mean = 6.0, cv = 1.0 }\n"
                          "[municipalities.Testby.office]\nenabled = true\n", name="office.toml")
    s = load_scenario(path)
    rec = Model(s, 4, 0).run()
    st = rec.stays
    ukp = ~np.isnan(st["t_declared"]) & ~st["initial"]
    t_ready = st["t_ready"][ukp]
    t_ready = t_ready[np.isfinite(t_ready) & (t_ready > st["t_declared"][ukp])]
    assert t_ready.size > 100
    model = Model(s, 4, 0)
    days = np.floor(t_ready).astype(int)
    hours = (t_ready - days) * 24.0
    assert (model.cal.weekday[days] < 5).all()
    assert not model.cal.public_holiday[days].any()
    assert ((hours >= 8.0 - 1e-9) & (hours <= 15.5 + 1e-9)).all()


def test_an_office_that_never_opens_is_a_clear_error(write_scenario, capsys):
    from ukp_sim.cli.main import main

    path = write_scenario("[municipalities.Testby.office]\nenabled = true\nopen_hour = 16.0\nclose_hour = 8.0\n",
                          name="closed.toml")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "municipalities.Testby.office" in err and "never open" in err

"""The plug-ins' hooks, called directly on a model that is built but not run: exact and fast.

Found by mutation testing of ``ukp_sim/interventions`` (tests/mutation/mutmut_interventions.sh):
these rules survived every test that runs whole scenarios, because a run averages them away.

* ``Ramp``: 0 before its start, linear over ``ramp_up_days``, 1 from the end; ``half_up``.
* Every plug-in keeps its parameters and the model it was built for (``Intervention`` contract).
* efficient_korttid: a stay starting on or after ``start`` lasts exactly (1 - reduction x ramp)
  times as long; a unit key wins over its municipality's key; other units are not cut.
* capacity: extra beds, home intake and weekend reception apply from ``start`` (ramped), and
  a what-if of 0 beds builds no unit.
* escalation_plan: thresholds and beds from the levels or from the population (rounded up,
  rounded half up, with minimums); seasonal beds only in peak months from ``seasonal_start``
  (ramped, never cut); no holiday cut from ``seasonal_start``; the daily check opens the beds
  ``lag_days`` after a trigger, for ``duration_days``, one escalation at a time per municipality.

The small scenario (``tests/scenarios/one_municipality.toml``: Testby, 20 000 inhabitants, one
unit of 20 beds) starts its calendar on Friday 3 September 2021 (day 0: 120 warm-up days before
1 January 2022); some tests add municipalities to it.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import Ramp, half_up
from ukp_sim.sim.model import Model

ORIGIN = dt.date(2021, 9, 3)  # day 0 of the small scenario
EVERY_DAY = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'


def day(n: float) -> dt.date:
    return ORIGIN + dt.timedelta(days=n)


def municipality(name: str, population: int, beds: int, weekdays: str = EVERY_DAY) -> str:
    """A municipality table like the small scenario's Testby."""
    return f"""
[municipalities.{name}]
population = {population}
home_service_intake_per_day = 1.0
long_term_vacancies_per_year = 200
destination = {{ korttid = 0.8, home_new_services = 0.1, home_no_new_services = 0.1 }}
reception = {{ weekdays = {weekdays}, close_hour = 20.0 }}

[municipalities.{name}.korttid]
los = {{ kind = "lognormal", mean = 20.0, cv = 0.8 }}
outcomes = {{ home = 0.9, long_term = 0.05, death = 0.05 }}
units = {{ korttid = {{ beds = {beds} }} }}
"""


def build(write_scenario, body: str) -> Model:
    model = Model(load_scenario(write_scenario(body)), 1, 0)
    assert model.cal.origin == ORIGIN
    return model


# ------------------------------------------------------------------------------------------------
# base
# ------------------------------------------------------------------------------------------------
def test_ramp_is_zero_before_linear_during_and_one_after():
    r = Ramp(10.0, 4)
    assert [r(t) for t in (0.0, 9.999, 10.0, 11.0, 12.0, 13.0, 14.0, 20.0)] == [0, 0, 0, 0.25, 0.5, 0.75, 1, 1]
    one = Ramp(10.0, 1)  # one day: half way at noon
    assert (one(9.5), one(10.0), one(10.5), one(11.0)) == (0.0, 0.0, 0.5, 1.0)
    assert (Ramp(10.0, 0)(9.999), Ramp(10.0, 0)(10.0)) == (0.0, 1.0)  # no ramp: full from the start
    np.testing.assert_array_equal(Ramp(2.0, 1).by_day(5), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(Ramp(2.0, 0).by_day(4), [0, 0, 1, 1])
    np.testing.assert_array_equal(Ramp(1.0, 4).by_day(7), [0, 0, 0.25, 0.5, 0.75, 1, 1])
    assert Ramp(2.0, 4).by_day(3).dtype == np.float64


def test_ramp_of_a_plugins_start_or_another_date():
    params = registry.get("escalation_plan").Params(start=day(10), seasonal_start=day(30), ramp_up_days=5)
    assert (Ramp.of(params, ORIGIN).t0, Ramp.of(params, ORIGIN).days) == (10.0, 5.0)
    assert Ramp.of(params, ORIGIN, start=params.seasonal_start).t0 == 30.0
    assert Ramp.of(params, day(40)).t0 == -30.0  # a start before the calendar: negative days


def test_half_up_rounds_halves_up():
    assert [half_up(x) for x in (0.0, 0.49, 0.5, 1.5, 2.4999, 2.5, 3.0)] == [0, 0, 1, 2, 2, 3, 3]


# ------------------------------------------------------------------------------------------------
# The Intervention contract: an instance keeps its parameters and its model
# ------------------------------------------------------------------------------------------------
def test_every_plugin_keeps_its_params_and_model(write_scenario):
    extra = {"efficient_korttid": "reduction = { Testby = 0.1 }\n"}
    body = "".join(f"[interventions.{i}]\nenabled = true\nstart = 2022-06-01\n{extra.get(i, '')}" for i in registry.ids())
    body += '[interventions.capacity.korttid.Testby]\nbeds = 2\n'
    body += municipality("Nord", 40000, 10)  # bed sharing needs two
    model = build(write_scenario, body)
    assert [iv.id for iv in model.interventions] == list(registry.ids())
    for iv in model.interventions:
        assert iv.params is getattr(model.s.interventions, iv.id), iv.id
        assert iv.model is model, iv.id


# ------------------------------------------------------------------------------------------------
# efficient_korttid
# ------------------------------------------------------------------------------------------------
KORTTID_CUT = """
[municipalities.Testby.korttid.units.rehab]
beds = 5

[interventions.efficient_korttid]
enabled = true
start = {start}
ramp_up_days = {ramp}
reduction = {{ Testby = 0.1, "Testby/rehab" = 0.3 }}
"""


def cut_model(write_scenario, ramp: int):
    model = build(write_scenario, KORTTID_CUT.format(start=day(10), ramp=ramp) + municipality("Nord", 40000, 10))
    iv = model.intervention("efficient_korttid")
    testby, nord = model.munis
    units = {u.name: u for u in testby.units}
    return iv, units["korttid"], units["rehab"], nord.units[0]


def test_efficient_korttid_cuts_stays_from_the_start_by_exactly_the_reduction(write_scenario):
    iv, korttid, rehab, nord = cut_model(write_scenario, ramp=0)
    # Before the start day the length is unchanged; from its first moment, x (1 - reduction).
    assert iv.korttid_los(korttid, 20.0, 9.999) == 20.0 and iv.korttid_los(rehab, 20.0, 9.999) == 20.0
    assert iv.korttid_los(korttid, 20.0, 10.0) == pytest.approx(18.0, abs=1e-12)  # the municipality's 10 %
    assert iv.korttid_los(rehab, 20.0, 10.0) == pytest.approx(14.0, abs=1e-12)  # the unit's own 30 % wins
    assert iv.korttid_los(korttid, 7.0, 300.0) == pytest.approx(6.3, abs=1e-12)
    for t in (0.0, 10.0, 300.0):  # a municipality not named is not cut
        assert iv.korttid_los(nord, 20.0, t) == 20.0


def test_efficient_korttid_ramps_the_reduction(write_scenario):
    iv, korttid, rehab, _ = cut_model(write_scenario, ramp=4)
    expect = {9.0: (20.0, 20.0), 10.0: (20.0, 20.0), 11.0: (19.5, 18.5), 12.0: (19.0, 17.0),
              13.0: (18.5, 15.5), 14.0: (18.0, 14.0), 50.0: (18.0, 14.0)}
    for t, (k, r) in expect.items():
        assert iv.korttid_los(korttid, 20.0, t) == pytest.approx(k, abs=1e-12), t
        assert iv.korttid_los(rehab, 20.0, t) == pytest.approx(r, abs=1e-12), t


# ------------------------------------------------------------------------------------------------
# capacity
# ------------------------------------------------------------------------------------------------
CAPACITY = """
[interventions.capacity]
enabled = true
start = {start}
ramp_up_days = {ramp}
home_intake_per_day = {{ Testby = 0.5 }}
weekend_reception = ["Nord"]

[interventions.capacity.korttid.Testby]
beds = 1
unit = "korttid"

[interventions.capacity.korttid.Nord]
beds = {nord_beds}
unit = "ny"
"""
NORD_WEEKDAYS = municipality("Nord", 40000, 10, weekdays='["mon", "tue", "wed", "thu", "fri"]')


def test_capacity_adds_beds_and_intake_from_its_start(write_scenario):
    model = build(write_scenario, CAPACITY.format(start=day(10), ramp=4, nord_beds=3) + NORD_WEEKDAYS)
    iv = model.intervention("capacity")
    testby, nord = model.munis
    ramp = np.array([0] * 11 + [0.25, 0.5, 0.75] + [1.0] * (model.cal.n_days - 14))
    np.testing.assert_allclose(testby.extra_intake, 0.5 * ramp, rtol=0, atol=1e-12)
    assert nord.extra_intake is None
    # One extra bed in Testby's own unit: half up of 1 x ramp (0.5 on day 12 rounds up).
    unit = testby.units[0]
    cut = np.zeros(model.cal.n_days, dtype=bool)
    beds, cut_back = iv.unit_capacity(testby, unit, 20, cut)
    np.testing.assert_array_equal(beds[:14], [20] * 12 + [21, 21])
    assert np.all(beds[14:] == 21) and cut_back is cut
    # Nord's new unit "ny": 3 beds ramped in, after its own unit.
    ny = nord.units[-1]
    assert [u.name for u in nord.units] == ["korttid", "ny"] and ny.uid >= model.n_scenario_units
    beds, _ = iv.unit_capacity(nord, ny, 0, cut)
    np.testing.assert_array_equal(beds[:15], [0] * 11 + [1, 2, 2, 3])  # 0.75, 1.5 and 2.25 half up
    assert iv.unit_capacity(nord, nord.units[0], 10, cut)[0] == 10  # the scenario's unit is left alone


def test_capacity_weekend_reception_from_its_start(write_scenario):
    weekdays = [d.weekday() for d in (day(n) for n in range(40))]
    model = build(write_scenario, CAPACITY.format(start=day(10), ramp=0, nord_beds=3) + NORD_WEEKDAYS)
    testby, nord = model.munis
    open_ = nord.reception.is_open[:40]
    assert all(open_[n] == (weekdays[n] < 5) for n in range(10))  # weekdays only before the start
    assert all(open_[10:])  # every day from it
    # A start before the calendar: every day from day 0 (a Saturday with 119 warm-up days).
    early = CAPACITY.format(start=dt.date(2021, 1, 1), ramp=0, nord_beds=3) + NORD_WEEKDAYS + "[period]\nwarmup_days = 119\n"
    model = Model(load_scenario(write_scenario(early)), 1, 0)
    assert model.cal.origin.weekday() == 5
    assert model.munis[1].reception.is_open[0] and model.munis[1].reception.is_open[1]


def test_capacity_of_zero_beds_builds_no_unit(write_scenario):
    model = build(write_scenario, CAPACITY.format(start=day(10), ramp=0, nord_beds=0) + NORD_WEEKDAYS)
    assert [u.name for u in model.munis[1].units] == ["korttid"]
    assert len(model.units) == model.n_scenario_units


# ------------------------------------------------------------------------------------------------
# escalation_plan: sites, seasonal beds, holiday cuts
# ------------------------------------------------------------------------------------------------
def escalation(write_scenario, table: str, extra: str = "") -> tuple[Model, object]:
    body = ("[interventions.escalation_plan]\nenabled = true\n" + table + extra
            + municipality("Nord", 40000, 10) + municipality("Sor", 50000, 10) + municipality("Lille", 1000, 2))
    model = build(write_scenario, body)
    return model, model.intervention("escalation_plan")


def unit_names(model: Model) -> dict[str, list[str]]:
    return {m.name: [u.name for u in m.units] for m in model.munis}


def test_escalation_thresholds_and_beds_from_the_population(write_scenario):
    """Defaults: threshold ceil(population/10 000 x 0.75), at least 2; beds half up of
    population/10 000 x 0.5, at least 1. Exact products are not rounded past (4 x 0.75 = 3)."""
    model, iv = escalation(write_scenario, "start = 2022-01-01\npeak_extra_share = 0.0\n")
    sites = {model.munis[s.m].name: (s.threshold, s.beds) for s in iv.sites}
    assert sites == {"Testby": (2, 1),  # 2 x 0.75 = 1.5 -> 2; 2 x 0.5 = 1
                     "Nord": (3, 2),  # 4 x 0.75 = 3 exactly; 4 x 0.5 = 2
                     "Sor": (4, 3),  # 5 x 0.75 = 3.75 -> 4; 5 x 0.5 = 2.5 -> 3
                     "Lille": (2, 1)}  # 0.075 -> 1, at least 2; 0.05 -> 0, at least 1
    assert all(names[-1] == "eskalering" and "sesongplasser" not in names for names in unit_names(model).values())


def test_escalation_levels_and_municipalities(write_scenario):
    """Only listed municipalities (Testby, the first, is not); a level's threshold and beds win;
    a level of 0 beds opens nothing and builds no unit."""
    model, iv = escalation(write_scenario, 'start = 2022-01-01\npeak_extra_share = 0.0\nno_holiday_closures = false\n'
                           'municipalities = ["Nord", "Sor", "Lille"]\n',
                           "[interventions.escalation_plan.levels]\nSor = { threshold = 1, beds = 4 }\n"
                           "Lille = { threshold = 0, beds = 0 }\n")
    sites = {model.munis[s.m].name: (s.threshold, s.beds) for s in iv.sites}
    assert sites == {"Nord": (3, 2), "Sor": (1, 4)}
    assert unit_names(model) == {"Testby": ["korttid"], "Nord": ["korttid", "eskalering"],
                                 "Sor": ["korttid", "eskalering"], "Lille": ["korttid"]}


def test_seasonal_beds_only_in_peak_months_from_the_seasonal_start(write_scenario):
    """Seasonal beds: half up of share x listed beds (Nord 10 x 0.15 = 1.5 -> 2; Testby
    20 x 0.05 = 1 at share 0.05 is tested below), ramped from ``seasonal_start`` (not ``start``),
    in peak months only, never cut in the holidays."""
    seasonal_start = dt.date(2021, 12, 30)
    model, iv = escalation(
        write_scenario, f"start = 2021-10-01\nseasonal_start = {seasonal_start}\nramp_up_days = 4\n"
        "peak_months = [1, 2]\npeak_extra_share = 0.15\nmin_beds = 0\nbeds_per_10000 = 0.0\n")
    nord = model.munis[1]
    assert unit_names(model)["Nord"] == ["korttid", "sesongplasser"]
    unit = nord.units[1]
    cut = np.ones(model.cal.n_days, dtype=bool)
    beds, cut_days = iv.unit_capacity(nord, unit, 0, cut)
    d0 = (seasonal_start - ORIGIN).days
    dates = [day(n) for n in range(model.cal.n_days)]
    peak = np.array([d.month in (1, 2) for d in dates])
    ramp = np.clip((np.arange(model.cal.n_days) - d0) / 4, 0, 1)
    expect = np.where(peak, np.floor(2 * ramp + 0.5), 0)  # 2 beds: 0, 0.5 -> 1, 1 -> 1, 1.5 -> 2, 2
    np.testing.assert_array_equal(beds, expect)
    assert beds.max() == 2 and beds[d0:d0 + 5].tolist() == [0, 0, 1, 2, 2]  # 30-31 Dec: not peak months
    assert not cut_days.any()  # seasonal beds are never cut
    # The scenario's unit: cut as before until seasonal_start, never from it.
    _, cut_days = iv.unit_capacity(nord, nord.units[0], 10, cut)
    assert cut_days[:d0].all() and not cut_days[d0:].any() and cut.all()


def test_no_seasonal_unit_without_seasonal_beds(write_scenario):
    """A share that rounds to 0 beds, or peak months that never come after the seasonal start,
    build no unit (units are numbered: a needless one would renumber the next)."""
    model, _ = escalation(write_scenario, "start = 2022-01-01\npeak_extra_share = 0.02\nseasonal_start = 2021-10-01\n")  # 20 x 0.02 = 0.4
    assert "sesongplasser" not in sum(unit_names(model).values(), [])
    model, _ = escalation(write_scenario, "start = 2022-01-01\npeak_extra_share = 0.05\nseasonal_start = 2021-10-01\n")  # 20 x 0.05 = 1
    assert unit_names(model)["Testby"] == ["korttid", "sesongplasser", "eskalering"]
    assert unit_names(model)["Lille"] == ["korttid", "eskalering"]  # 2 x 0.05 = 0.1 -> none
    model, _ = escalation(write_scenario, "start = 2022-01-01\npeak_extra_share = 0.5\nseasonal_start = 2022-03-01\n"
                          "peak_months = [1, 2]\n[period]\nfollowup_days = 0\nyears = 1\n")
    # the calendar ends on 31 Dec 2022: no January or February after 1 Mar 2022
    assert model.cal.dates[-1] == dt.date(2022, 12, 31)
    assert "sesongplasser" not in sum(unit_names(model).values(), [])


def test_no_holiday_cut_from_the_seasonal_start(write_scenario):
    cut = np.ones(600, dtype=bool)
    # A seasonal start before the calendar: no cut from day 0.
    model, iv = escalation(write_scenario, "start = 2022-01-01\nseasonal_start = 2021-01-01\npeak_extra_share = 0.1\n")
    testby = model.munis[0]
    _, cut_days = iv.unit_capacity(testby, testby.units[0], 20, cut[:model.cal.n_days])
    assert not cut_days.any()
    # Without no_holiday_closures the scenario's units keep their cut, the seasonal beds have none.
    model, iv = escalation(write_scenario, "start = 2022-01-01\nseasonal_start = 2021-01-01\npeak_extra_share = 0.1\n"
                           "no_holiday_closures = false\n")
    testby = model.munis[0]
    own, seasonal = testby.units[0], testby.units[1]
    assert seasonal.name == "sesongplasser"
    assert iv.unit_capacity(testby, own, 20, cut[:model.cal.n_days])[1].all()
    assert not iv.unit_capacity(testby, seasonal, 0, cut[:model.cal.n_days])[1].any()
    # A municipality without a plan keeps its cut.
    model, iv = escalation(write_scenario, 'start = 2022-01-01\nseasonal_start = 2021-01-01\nmunicipalities = ["Nord"]\n')
    assert iv.unit_capacity(model.munis[0], model.munis[0].units[0], 20, cut[:model.cal.n_days])[1].all()


# ------------------------------------------------------------------------------------------------
# escalation_plan: the daily check, driven by hand
# ------------------------------------------------------------------------------------------------
class Trigger:
    """The escalation process of a built model, with the UKP count set by hand and every
    ``set_capacity`` of the escalation units logged as (time, municipality, beds)."""

    def __init__(self, model: Model):
        self.model = model
        self.iv = model.intervention("escalation_plan")
        self.log: list[tuple[float, str, int]] = []
        units = {s.unit.uid for s in self.iv.sites}
        for m in model.munis:
            pool, set_capacity = m.pool, m.pool.set_capacity

            def logged(unit, capacity, _set=set_capacity, _name=m.name):
                if unit.uid in units:
                    self.log.append((round(model.env.now, 9), _name, capacity))
                _set(unit, capacity)

            pool.set_capacity = logged
        self.iv.start()

    def waiting(self, schedule: dict[float, dict[str, int]]) -> None:
        """From each time on, these UKP counts (by municipality)."""
        env, names = self.model.env, [m.name for m in self.model.munis]

        def run():
            for t in sorted(schedule):
                yield env.timeout(t - env.now)
                for name, n in schedule[t].items():
                    self.model.ukp_waiting[names.index(name)] = n
        env.process(run())

    def run(self, until: float) -> list[tuple]:
        self.model.env.run(until=until)
        e = self.model.records.escalations
        return [(self.model.munis[m].name, round(t, 9), w, round(o, 9), round(c, 9), b)
                for m, t, w, o, c, b in zip(*(e[k] for k in ("municipality", "t_trigger", "waiting", "t_open",
                                                              "t_close", "beds")))]


LEVELS = ("[interventions.escalation_plan.levels]\nTestby = { threshold = 3, beds = 5 }\n"
          "Nord = { threshold = 1, beds = 10 }\n")


def test_escalation_opens_after_the_lag_for_the_duration_one_at_a_time(write_scenario):
    model, _ = escalation(write_scenario, f"start = {day(10)}\ncheck_hour = 12.0\nlag_days = 2.0\n"
                          "duration_days = 3.25\npeak_extra_share = 0.0\nmunicipalities = [\"Testby\", \"Nord\"]\n", LEVELS)
    tr = Trigger(model)
    # Above the threshold (3) from day 0, but the checks start on the start day at noon.
    tr.waiting({0.0: {"Testby": 4}, 16.0: {"Testby": 3}, 19.0: {"Testby": 4}})
    esc = tr.run(until=25.0)
    assert esc == [("Testby", 10.5, 4, 12.5, 15.75, 5),  # open 2 days after, 3.25 days long
                   ("Testby", 16.5 + 3, 4, 21.5, 24.75, 5)]  # 3 (not above) on day 16-18; nothing while open
    assert tr.log == [(12.5, "Testby", 5), (15.75, "Testby", 0), (21.5, "Testby", 5), (24.75, "Testby", 0)]


def test_escalation_is_checked_every_day(write_scenario):
    """Open and closed within the day: a new trigger at every daily check while above."""
    model, _ = escalation(write_scenario, f"start = {day(10)}\ncheck_hour = 6.0\nlag_days = 0.25\n"
                          "duration_days = 0.25\npeak_extra_share = 0.0\nmunicipalities = [\"Testby\", \"Nord\"]\n", LEVELS)
    tr = Trigger(model)
    tr.waiting({0.0: {"Testby": 9}})
    assert [e[1] for e in tr.run(until=15.0)] == [10.25, 11.25, 12.25, 13.25, 14.25]


def test_escalation_check_at_midnight_and_before_the_calendar(write_scenario):
    model, _ = escalation(write_scenario, f"start = {day(10)}\ncheck_hour = 0.0\npeak_extra_share = 0.0\n"
                          "municipalities = [\"Testby\", \"Nord\"]\n", LEVELS)
    tr = Trigger(model)
    tr.waiting({0.0: {"Testby": 9}})
    assert [e[1] for e in tr.run(until=11.0)] == [10.0]  # on the start day's first moment
    model, _ = escalation(write_scenario, "start = 2021-01-01\ncheck_hour = 8.0\npeak_extra_share = 0.0\n"
                          "municipalities = [\"Testby\", \"Nord\"]\n", LEVELS)
    tr = Trigger(model)
    tr.waiting({0.0: {"Testby": 9}})
    assert [e[1] for e in tr.run(until=1.0)] == [round(8 / 24, 9)]  # day 0 of the calendar


def test_escalation_beds_ramp_and_every_site_is_checked(write_scenario):
    """Beds opened: half up of the site's beds x ramp at the trigger; none -> no escalation.
    Testby (first, 5 beds) is below its threshold or rounds to 0 beds; Nord must still open."""
    model, _ = escalation(write_scenario, f"start = {day(10)}\ncheck_hour = 0.0\nramp_up_days = 10\n"
                          "lag_days = 0.5\nduration_days = 0.25\npeak_extra_share = 0.0\n"
                          "municipalities = [\"Testby\", \"Nord\"]\n", LEVELS)
    tr = Trigger(model)
    tr.waiting({0.0: {"Testby": 0, "Nord": 2}, 11.5: {"Testby": 4}})
    esc = tr.run(until=14.5)
    # Day 10: ramp 0, nothing; day 11: Nord 10 x 0.1 = 1 bed (Testby below); day 12: Testby
    # 5 x 0.2 = 1, Nord 2; day 13: Testby 5 x 0.3 = 1.5 -> 2, Nord 3; day 14: 2, 4.
    assert [(e[0], e[1], e[5]) for e in esc] == [
        ("Nord", 11.0, 1), ("Testby", 12.0, 1), ("Nord", 12.0, 2), ("Testby", 13.0, 2), ("Nord", 13.0, 3),
        ("Testby", 14.0, 2), ("Nord", 14.0, 4)]
    model, _ = escalation(write_scenario, f"start = {day(10)}\ncheck_hour = 0.0\nramp_up_days = 10\n"
                          "lag_days = 0.5\nduration_days = 0.25\npeak_extra_share = 0.0\n"
                          "municipalities = [\"Testby\", \"Nord\"]\n"
                          "[interventions.escalation_plan.levels]\nTestby = { threshold = 0, beds = 1 }\n"
                          "Nord = { threshold = 0, beds = 10 }\n")
    tr = Trigger(model)
    tr.waiting({0.0: {"Testby": 1, "Nord": 1}})
    # Testby's 1 bed x 0.1 (0.2) rounds to 0 on day 11 (12): no escalation there, but Nord's opens.
    assert [(e[0], e[1], e[5]) for e in tr.run(until=12.5)] == [("Nord", 11.0, 1), ("Nord", 12.0, 2)]


def test_escalation_beds_follow_only_the_plan_in_a_run(write_scenario):
    """In a whole run (holiday cuts make the calendar change other units' beds), the escalation
    unit's beds are set only by the plan: the beds of the records at t_open, 0 at t_close."""
    body = ("[municipalities.Testby.reception]\nholiday_capacity_factor = 0.5\n"
            "[interventions.escalation_plan]\nenabled = true\nstart = 2021-10-01\npeak_extra_share = 0.0\n"
            "lag_days = 1.0\nduration_days = 5.0\nno_holiday_closures = false\n"
            "[interventions.escalation_plan.levels]\nTestby = { threshold = 2, beds = 4 }\n")
    model = build(write_scenario, body)
    unit = model.intervention("escalation_plan").sites[0].unit
    log, set_capacity = [], model.munis[0].pool.set_capacity

    def logged(u, capacity):
        if u is unit:
            log.append((model.env.now, capacity))
        set_capacity(u, capacity)

    model.munis[0].pool.set_capacity = logged
    rec = model.run()
    e = rec.escalations
    assert e["t_trigger"].size > 3
    expect = []
    for t_open, t_close, beds in zip(e["t_open"], e["t_close"], e["beds"]):
        expect += [(t, n) for t, n in ((t_open, beds), (t_close, 0)) if t < rec.horizon]
    assert log == expect and set(e["beds"].tolist()) == {4}

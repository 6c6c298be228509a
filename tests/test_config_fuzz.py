"""Every value the configuration layer accepts must run.

Random mutations of a small scenario's numeric leaves (huge, tiny, negative, nan, inf) either
give a one-line ScenarioError naming the file and the key, or a scenario that a short run
simulates and turns into KPIs without an exception. A huge yearly rate once validated "OK"
and then died in numpy; the upper bounds in the schema exist so that this property holds.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ukp_sim.analysis.runner import single_run
from ukp_sim.base.distributions import KINDS, MAX_CV, MAX_MEAN, Dist
from ukp_sim.base.errors import ScenarioError
from ukp_sim.config.loader import build_scenario, load_scenario_data
from ukp_sim.config.scenario import MAX_BEDS, MAX_PER_YEAR

SMALL = Path(__file__).parent / "scenarios" / "one_municipality.toml"
M = ("municipalities", "Testby")


def _base() -> tuple[dict, list, dict]:
    """The one-municipality fixture, shortened (20 days of warm-up), with the optional numeric
    keys written out so that they are mutated too (durations, initial state, direct admissions)."""
    data, files, prov = load_scenario_data(SMALL)
    data["period"].update(warmup_days=20, followup_days=10)
    data["hospital"]["treatment_los"] = {"robust": {"kind": "lognormal", "mean": 5.0, "cv": 0.9},
                                         "frail": {"kind": "gamma", "mean": 7.0, "cv": 0.9}}
    data["hospital"]["other_los"] = {"kind": "exponential", "mean": 3.9, "cv": 1.0}
    m = data["municipalities"]["Testby"]
    m.update(decision_hours={"kind": "lognormal", "mean": 6.0, "cv": 1.5}, complex_share=0.1,
             complex_planning_days={"kind": "gamma", "mean": 7.0, "cv": 1.0}, admission_rate_factor=1.0)
    m["korttid"]["direct_admissions_per_year"] = 20.0
    data["initial_state"] = {"Testby": {"korttid_occupied": 5, "ukp_waiting": 3}}
    data["readmission"].update(mean_days_to_readmission=10.0, frail_odds_ratio=1.9, window_days=30)
    return data, files, prov


BASE, FILES, PROV = _base()


def _leaves(node, path=()):
    """Key paths (list items as ints) of every number in the data, booleans excluded."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, (dict, list)):
            yield from _leaves(value, (*path, key))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield (*path, key)


LEAVES = sorted(_leaves(BASE), key=str)
# Leaves that set how many events a run simulates: accepted values are kept small so that each
# run stays short (the property is about crashing, not about speed); out-of-range ones still come.
VOLUME = {("hospital", "admissions_per_year"), (*M, "korttid", "direct_admissions_per_year"),
          (*M, "long_term_vacancies_per_year"), ("initial_state", "Testby", "ukp_waiting")}

HOSTILE = st.sampled_from([0, -1, -1e-9, 1e-300, 0.5, 1, 2, 24, 25, 1e4, 1e7, 1e9, 2**63, 1e308, -1e308,
                           math.nan, math.inf, -math.inf])
HUGE = st.one_of(st.sampled_from([1e7, 1e9, 1e20, 1e300, 1e308]), st.floats(1e6, 1e308), st.integers(10**6, 10**30))
ANY = st.one_of(HOSTILE, HUGE, st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                st.floats(0, 1), st.floats(0, 100))
SMALL_VOLUME = st.one_of(st.sampled_from([-1, math.nan, math.inf, -math.inf, 1e20, 1e308, MAX_PER_YEAR * 10]),
                         st.integers(0, 2000), st.floats(0, 2000))


RAN: list = []  # mutations that were accepted and ran (see the test below it)


def _near(value):
    """Plausible values: the fixture's value scaled by 0-3 (whole numbers stay whole)."""
    scaled = st.floats(0, 3).map(lambda f: value * f)
    return scaled.map(round) if isinstance(value, int) else scaled


def _get(data, path: tuple):
    for key in path:
        data = data[key]
    return data


def _set(data: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@st.composite
def mutations(draw):
    """One to two (leaf, value) pairs; about half the values stay near the fixture's value."""
    paths = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=2, unique=True))
    return [(p, draw(st.one_of(SMALL_VOLUME if p in VOLUME else ANY, _near(_get(BASE, p))))) for p in paths]


def _check(changes) -> bool:
    """Refused in one line naming file and key (False), or accepted and run to KPIs (True)."""
    mutated = copy.deepcopy(BASE)
    for path, value in changes:
        _set(mutated, path, value)
    try:
        scenario = build_scenario(mutated, SMALL, FILES, PROV)
    except ScenarioError as err:
        text = str(err)
        assert "\n" not in text and str(SMALL) in text and err.where, text
        return False
    df = single_run(scenario, 7, 0)
    assert not df.empty and {"kpi", "value"} <= set(df.columns)
    return True


# Values that crashed a run before the schema had upper bounds (found by this test).
CRASHED = [((*M, "korttid", "units", "korttid", "beds"), 10**20), ((*M, "decision_hours", "cv"), 1e308),
           ((*M, "decision_hours", "mean"), 1e308), ((*M, "complex_planning_days", "cv"), 1e308),
           ((*M, "korttid", "direct_admissions_per_year"), 1e20), ((*M, "long_term_vacancies_per_year"), 1e308),
           (("hospital", "admissions_per_year"), 1e20)]


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutations())
@example([CRASHED[0]]).via("crashed before the bounds")
@example([CRASHED[1], CRASHED[3]]).via("crashed before the bounds")
@example([CRASHED[2], CRASHED[4]]).via("crashed before the bounds")
@example([CRASHED[5], CRASHED[6]]).via("crashed before the bounds")
def test_a_mutated_scenario_is_refused_in_one_line_or_runs(changes):
    if _check(changes):
        RAN.append(changes)


@pytest.mark.parametrize("value", [-1, 1e-300, 1e9, 1e20, 1e308, math.nan, math.inf, -math.inf])
def test_every_leaf_at_an_extreme_is_refused_or_runs(value):
    for path in LEAVES:
        _check([(path, value)])


def test_the_mutations_reach_both_outcomes():
    """Guards the property test against vacuity: some mutations ran, the base runs, and a
    hostile value in any leaf is refused."""
    if not RAN:  # run on its own: do the property test's search first
        test_a_mutated_scenario_is_refused_in_one_line_or_runs()
    assert len(RAN) >= 25, f"only {len(RAN)} mutated scenarios ran"
    assert build_scenario(copy.deepcopy(BASE), SMALL, FILES, PROV).municipalities["Testby"].korttid.units
    for path in LEAVES:
        bad = copy.deepcopy(BASE)
        _set(bad, path, math.nan)
        with pytest.raises(ScenarioError) as err:
            build_scenario(bad, SMALL, FILES, PROV)
        assert ".".join(str(p) for p in path if not isinstance(p, int)) in str(err.value), path


@pytest.mark.parametrize("value", [MAX_PER_YEAR * 1.01, 1e30, math.inf])
def test_a_huge_yearly_rate_is_refused_with_its_bound(value):
    bad = copy.deepcopy(BASE)
    bad["hospital"]["admissions_per_year"] = value
    with pytest.raises(ScenarioError, match=r"hospital\.admissions_per_year: .*(maximum 10000000|finite)"):
        build_scenario(bad, SMALL, FILES, PROV)


@pytest.mark.parametrize("kind", KINDS)
def test_durations_at_their_bounds_draw_finite_values(kind):
    u = np.array([0.0, 1e-15, 0.5, 1 - 1e-15, np.nextafter(1.0, 0.0)])
    for mean in (0.0, 1e-9, MAX_MEAN):
        for cv in (0.0, 1e-9, MAX_CV):
            d = Dist(kind, mean, cv)
            arr = d.from_uniform_array(u)
            one = [d.from_uniform(float(x)) for x in u]
            assert np.isfinite(arr).all() and (arr >= 0).all(), (kind, mean, cv, arr)
            assert all(math.isfinite(x) and x >= 0 for x in one), (kind, mean, cv, one)


def test_background_admissions_at_the_bound_run():
    """The numpy path that used to die: 10 million admissions a year (all but a few hundred
    background stays) simulate without error."""
    big = copy.deepcopy(BASE)
    big["hospital"]["admissions_per_year"] = MAX_PER_YEAR
    big["hospital"]["municipal_needs_share"] = 340 / MAX_PER_YEAR
    big["municipalities"]["Testby"]["korttid"]["units"]["korttid"]["beds"] = MAX_BEDS
    big["hospital"]["somatic_beds"] = MAX_BEDS
    df = single_run(build_scenario(big, SMALL, FILES, PROV), 7, 0)
    assert not df.empty

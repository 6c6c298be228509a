"""Runs that start from an observed state (IPACS style) instead of from empty."""
import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ukp_sim.analysis.runner import summarise
from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model
from ukp_sim.sim.records import END_NAMES, FROM_INITIAL

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _from_state(start: dt.date):
    s = load_scenario(SCENARIOS / "baseline_from_state.toml")
    return dataclasses.replace(s, period=dataclasses.replace(s.period, start=start, warmup_days=0))


def test_every_initial_resident_is_in_a_bed_even_when_the_run_starts_in_the_holidays():
    # 10 July is inside the summer holiday, when only 85 % of the beds take new patients;
    # residents present at the start must still all be in a bed, none queued.
    s = _from_state(dt.date(2022, 7, 10))
    rec = Model(s, seed=3, replication=0).run()
    k = rec.korttid
    initial = k["source"] == FROM_INITIAL
    expected = sum(init.korttid_occupied for init in s.initial_state.values())
    assert initial.sum() == expected
    assert np.all(k["t_start"][initial] == 0.0)


def test_initial_ukp_are_waiting_from_the_first_day():
    s = _from_state(dt.date(2022, 3, 1))
    rec = Model(s, seed=3, replication=0).run()
    st = rec.stays
    initial = st["initial"]
    assert initial.sum() == sum(init.ukp_waiting for init in s.initial_state.values())
    assert np.all(st["t_declared"][initial] == 0.0)


def test_a_month_is_not_judged_against_the_yearly_ukp_day_target():
    table = pd.DataFrame({
        "replication": [0, 1, 0, 1], "year": [2022] * 4, "month": [1, 1, 0, 0],
        "municipality": ["Total"] * 4, "kpi": ["ukp_days"] * 4, "value": [500.0, 520.0, 9000.0, 9100.0],
    })
    out = summarise(table, "x").set_index("month")
    assert np.isnan(out.loc[1, "target"]) and out.loc[1, "status"] == ""
    assert out.loc[0, "target"] == 1767 and out.loc[0, "status"] == "red"


def _with_long_term_waiting(s, name: str, waiting: int):
    init = dict(s.initial_state)
    init[name] = dataclasses.replace(init[name], long_term_waiting=waiting)
    return dataclasses.replace(s, initial_state=init)


def test_residents_on_the_long_term_waiting_list_wait_from_day_0_and_get_the_first_places():
    s = _from_state(dt.date(2022, 3, 1))
    trondheim = s.initial_state["Trondheim"].korttid_occupied
    s = _with_long_term_waiting(s, "Trondheim", 40)
    model = Model(s, seed=3, replication=0)
    k = model.run().korttid
    muni = next(m.index for m in model.munis if m.name == "Trondheim")
    ours = (k["source"] == FROM_INITIAL) & (k["municipality"] == muni)
    assert ours.sum() == trondheim
    waiting = ours & (k["t_long_term_request"] == 0.0)
    assert waiting.sum() == 40  # the others' stays run first: none of them ends at time 0
    assert np.all(k["end"][waiting] == END_NAMES.index("long_term"))
    # first come, first served: the waiting list's 40 take Trondheim's first 40 long-term places
    moved = (k["municipality"] == muni) & (k["end"] == END_NAMES.index("long_term"))
    first = np.argsort(k["t_end"][moved], kind="stable")[:40]
    assert np.all(waiting[np.flatnonzero(moved)[first]])


def test_the_waiting_list_changes_no_other_residents_stay():
    # Residents draw the same uniforms whether or not some wait for a long-term place, so every
    # other initial resident who goes home or dies ends their stay at the same time as without.
    s = _from_state(dt.date(2022, 3, 1))
    runs = [Model(_with_long_term_waiting(s, "Trondheim", n), seed=3, replication=0) for n in (0, 40)]
    ends = []
    for model in runs:
        k = model.run().korttid
        muni = next(m.index for m in model.munis if m.name == "Trondheim")
        rows = np.flatnonzero((k["source"] == FROM_INITIAL) & (k["municipality"] == muni))[40:]
        done = np.isin(k["end"][rows], [END_NAMES.index("home"), END_NAMES.index("death")])
        ends.append((rows[done], k["t_end"][rows[done]]))
    assert len(ends[0][0]) > 100
    np.testing.assert_array_equal(ends[0][0], ends[1][0])
    np.testing.assert_array_equal(ends[0][1], ends[1][1])

"""What UKP-days are spent waiting for: each stay's UKP-days split over the decision, reception
and capacity (a korttid bed or a home-service start), in proportion to the time in each state.
The split is checked by hand on single stays, on the M/M/c reduction (where only beds can bind)
and on the shares' sum."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ukp_sim.kpi import TOTAL, WHOLE_YEAR, compute_kpis
from ukp_sim.kpi.compute import WAIT_KPIS, wait_days
from ukp_sim.sim.model import Model
from ukp_sim.sim.records import HOME_NEW, HOME_NONE, KORTTID


def _one(t_decl, t_ready, t_rec, t_out, dest, days):
    got = wait_days(*(np.array([v], dtype=float) for v in (t_decl, t_ready, t_rec, t_out)),
                    np.array([dest]), np.array([float(days)]))
    return {k: float(v[0]) for k, v in got.items()}


def test_a_korttid_stay_is_split_by_time_in_each_state():
    # declared Fri 10:00 (day 4.4167), planned by 16:00 (4.6667), reception next opens Mon 08:00
    # (day 7.3333), bed free and received Wed 08:00 (day 9.3333): 5 UKP-days over 4.9167 days
    t = dict(t_decl=4 + 10 / 24, t_ready=4 + 16 / 24, t_rec=7 + 8 / 24, t_out=9 + 8 / 24)
    got = _one(**t, dest=KORTTID, days=5)
    per_day = 5 / (t["t_out"] - t["t_decl"])
    assert got["wait_share_decision"] == pytest.approx((t["t_ready"] - t["t_decl"]) * per_day)
    assert got["wait_share_reception"] == pytest.approx((t["t_rec"] - t["t_ready"]) * per_day)
    assert got["wait_share_bed"] == pytest.approx((t["t_out"] - t["t_rec"]) * per_day)
    assert got["wait_share_home_intake"] == 0.0
    assert sum(got.values()) == pytest.approx(5.0)


def test_capacity_waits_go_to_the_destination_that_lacked_it():
    home = _one(0.5, 1.5, 1.5, 4.5, HOME_NEW, 4)
    assert home["wait_share_home_intake"] == pytest.approx(4 * 3 / 4) and home["wait_share_bed"] == 0.0
    none = _one(0.5, 1.5, 3.25, 3.25, HOME_NONE, 3)  # home with no new services: waits only for reception
    assert none["wait_share_bed"] == none["wait_share_home_intake"] == 0.0
    assert none["wait_share_reception"] == pytest.approx(3 * 1.75 / 2.75)


def test_a_same_day_discharge_has_no_days_to_split():
    assert set(_one(0.3, 0.4, 0.4, 0.6, KORTTID, 0).values()) == {0.0}


def test_a_bed_freed_after_reception_opened_is_all_bed_wait():
    # planned Monday morning with reception open; the bed frees on Thursday and the patient leaves then
    got = _one(0.35, 0.40, 0.40, 3.40, KORTTID, 3)
    assert got["wait_share_reception"] == 0.0
    assert got["wait_share_bed"] == pytest.approx(3 * 3.0 / 3.05)


def test_in_the_mm_c_reduction_every_ukp_day_waits_for_a_bed(mmc_path):
    """No decision time, reception always open, everyone to korttid: only beds can bind."""
    from ukp_sim.config.loader import load_scenario

    s = load_scenario(mmc_path)
    model = Model(s, 3, 0)
    df = compute_kpis(model.run(), s, model.cal)
    total = df[(df["municipality"] == TOTAL) & (df["month"] == WHOLE_YEAR)].set_index("kpi")["value"]
    assert total["ukp_days"] > 0
    assert total["wait_share_bed"] == pytest.approx(1.0, abs=1e-12)
    for kpi in ("wait_share_decision", "wait_share_home_intake", "wait_share_reception"):
        assert total[kpi] == pytest.approx(0.0, abs=1e-12)


def test_the_four_shares_add_up_to_one_wherever_there_are_ukp_days(small_scenario):
    s = dataclasses.replace(small_scenario, period=dataclasses.replace(small_scenario.period, years=2))
    model = Model(s, 8, 1)
    df = compute_kpis(model.run(), s, model.cal)
    wide = df[df["kpi"].isin([*WAIT_KPIS, "mean_ukp_stay"])].pivot_table(
        index=["year", "month", "municipality"], columns="kpi", values="value", dropna=False)
    has_days = wide["mean_ukp_stay"].notna()
    assert has_days.sum() >= 10
    sums = wide.loc[has_days, list(WAIT_KPIS)].sum(axis=1)
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-12)
    assert (wide.loc[has_days, list(WAIT_KPIS)] >= 0).all().all()
    assert wide.loc[~has_days, list(WAIT_KPIS)].isna().all().all()


def test_weekend_reception_removes_the_reception_wait_of_a_seven_day_municipality(write_scenario):
    """Against a weekday-only municipality, one that receives every day and around the clock spends
    no UKP-days waiting for reception (the same patients, common random numbers)."""
    from ukp_sim.config.loader import load_scenario

    weekdays = write_scenario("[municipalities.Testby]\nreception = { weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] }\n",
                              name="weekdays.toml")
    always = write_scenario("[municipalities.Testby]\nreception = { weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', "
                            "'sat', 'sun'], open_hour = 0.0, close_hour = 24.0, closed_on_public_holidays = false }\n",
                            name="always.toml")
    shares = {}
    for path in (weekdays, always):
        s = load_scenario(path)
        model = Model(s, 5, 0)
        df = compute_kpis(model.run(), s, model.cal)
        shares[path.stem] = df[(df["municipality"] == TOTAL) & (df["month"] == WHOLE_YEAR)].set_index("kpi")["value"]
    assert shares["weekdays"]["wait_share_reception"] > 0.05
    assert shares["always"]["wait_share_reception"] == pytest.approx(0.0, abs=1e-12)

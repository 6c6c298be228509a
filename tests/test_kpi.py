"""KPI definitions, checked exactly on hand-built records (no simulation).

Every test builds a small ``Records`` by hand: it adds stays with ``add_stay`` and sets their
declaration, discharge and destination directly in the column lists before ``finish()``, exactly as
the model does. The scenario is the real baseline with the warm-up set to 0, so day 0 of the
simulation is 1 January 2022 and "day d at hh:mm" is the time ``d + hh/24``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from ukp_sim.analysis.runner import single_run
from ukp_sim.config.scenario import Scenario
from ukp_sim.kpi import DEFINITIONS, TOTAL, WHOLE_YEAR, compute_kpis, definitions_for
from ukp_sim.kpi import compute as kpi_mod
from ukp_sim.sim.model import build_calendar
from ukp_sim.sim.records import (
    END_HOME,
    END_LONG_TERM,
    FROM_HOME,
    FROM_HOSPITAL,
    FROM_INITIAL,
    HOME_NEW,
    HOME_NONE,
    KORTTID,
    Records,
)

OYA = "Trondheim/Øya helsehus"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base(baseline_scenario) -> Scenario:
    """The 2022 baseline (tests/conftest.py), shared and frozen."""
    return baseline_scenario


def small(base: Scenario, *, years: int = 1, warmup: int = 0, followup: int = 30,
          by: str = "day", cost_basis: str = "ukp_days") -> Scenario:
    """The baseline with a short period and the given counting rules."""
    return dataclasses.replace(
        base,
        period=dataclasses.replace(base.period, years=years, warmup_days=warmup, followup_days=followup),
        kpi=dataclasses.replace(base.kpi, ukp_days_by=by, cost_basis=cost_basis),
    )


def at(day: float, hour: float = 0.0) -> float:
    """Simulation time of ``hour`` o'clock on day ``day`` (day 0 = the calendar origin)."""
    return day + hour / 24.0


def muni_index(s: Scenario, name: str) -> int:
    return list(s.municipalities).index(name)


def unit_index(s: Scenario, label: str) -> int:
    """Global unit id of "Municipality/Unit" (units are numbered in scenario order)."""
    labels = [f"{m.name}/{u}" for m in s.municipalities.values() for u in m.korttid.units]
    return labels.index(label)


class Builder:
    """Hand-built records: UKP stays and korttid stays with chosen times."""

    def __init__(self, s: Scenario):
        self.s = s
        self.rec = Records()
        self.next_pid = 0

    def ukp(self, muni: str, declared: float, discharged: float = math.nan, dest: int = HOME_NONE,
            admitted: float | None = None, patient: int | None = None) -> int:
        if patient is None:
            patient = self.next_pid
            self.next_pid += 1
        if admitted is None:
            admitted = declared - 2.0
        row = self.rec.add_stay(patient, muni_index(self.s, muni), False, False, 1, False, admitted, True)
        st = self.rec.stays
        st["t_declared"][row] = declared
        st["t_ready"][row] = declared
        st["t_discharged"][row] = discharged
        st["destination"][row] = dest
        return row

    def plain(self, muni: str, patient: int, admitted: float, discharged: float) -> int:
        """A hospital stay that never becomes UKP (e.g. a readmission without municipal needs)."""
        row = self.rec.add_stay(patient, muni_index(self.s, muni), False, False, 2, False, admitted, False)
        self.rec.stays["t_discharged"][row] = discharged
        return row

    def korttid(self, unit_label: str, start: float, end: float = math.nan, source: int = FROM_HOSPITAL,
                how: int = END_HOME) -> int:
        muni = unit_label.split("/")[0]
        row = self.rec.start_korttid(-1, muni_index(self.s, muni), unit_index(self.s, unit_label), source, start)
        if not math.isnan(end):
            self.rec.end_korttid(row, end, how)
        return row

    def kpis(self) -> pd.DataFrame:
        cal = build_calendar(self.s)
        self.rec.finish(float(cal.n_days))
        return compute_kpis(self.rec, self.s, cal)


def value(df: pd.DataFrame, kpi: str, muni: str = TOTAL, year: int = 2022, month: int = WHOLE_YEAR) -> float:
    sel = df[(df["kpi"] == kpi) & (df["municipality"] == muni) & (df["year"] == year) & (df["month"] == month)]
    assert len(sel) == 1, f"expected one row for {kpi}/{muni}/{year}/{month}, got {len(sel)}"
    return float(sel["value"].iloc[0])


# --------------------------------------------------------------------------------------------
# The table's shape
# --------------------------------------------------------------------------------------------
def test_table_columns_years_and_months(base):
    s = small(base)
    b = Builder(s)
    b.ukp("Melhus", at(3, 10), at(5, 9))
    df = b.kpis()
    assert list(df.columns) == ["year", "month", "municipality", "kpi", "value"]
    assert set(df["year"]) == {2022}
    assert set(df["month"]) == set(range(0, 13))
    assert set(df["municipality"]) >= {*s.municipalities, TOTAL, OYA}
    # every KPI of the whole-year Total row has a definition, and every definition is reported
    total_kpis = set(df[(df["municipality"] == TOTAL) & (df["month"] == WHOLE_YEAR)]["kpi"])
    assert total_kpis == set(DEFINITIONS)


def test_no_duplicate_rows(base):
    b = Builder(small(base, years=2))
    b.ukp("Melhus", at(3, 10), at(5, 9))
    df = b.kpis()
    assert not df.duplicated(["year", "month", "municipality", "kpi"]).any()


@pytest.mark.filterwarnings("error")  # an empty mean is NaN on purpose, not a numpy warning
def test_empty_records_give_zero_days_and_nan_shares(base):
    df = Builder(small(base)).kpis()
    assert value(df, "ukp_days") == 0.0
    assert value(df, "ukp_stays") == 0.0
    assert value(df, "cost_nok") == 0.0
    for k in ("zero_day_share", "mean_ukp_stay", "mean_ukp_stay_all", "straight_home_share",
              "readmission_30d_share", "korttid_los"):
        assert math.isnan(value(df, k)), k


# --------------------------------------------------------------------------------------------
# KPI 1-3: UKP-days, 0-day share, mean UKP stay
# --------------------------------------------------------------------------------------------
def test_ukp_days_count_calendar_dates_not_24_hour_periods(base):
    b = Builder(small(base))
    b.ukp("Melhus", at(3, 10), at(5, 9))  # 47 hours, but two date changes
    df = b.kpis()
    assert value(df, "ukp_days") == 2.0
    assert value(df, "ukp_days", "Melhus") == 2.0
    assert value(df, "ukp_stays") == 1.0
    assert value(df, "mean_ukp_stay") == 2.0
    assert value(df, "zero_day_share") == 0.0


@pytest.mark.filterwarnings("error")  # an empty mean is NaN on purpose, not a numpy warning
def test_same_day_discharge_is_zero_days_and_counts_in_zero_day_share(base):
    b = Builder(small(base))
    b.ukp("Melhus", at(3, 10), at(3, 14))
    df = b.kpis()
    assert value(df, "ukp_days") == 0.0
    assert value(df, "ukp_stays") == 1.0
    assert value(df, "zero_day_share") == 1.0
    assert value(df, "mean_ukp_stay_all") == 0.0
    assert math.isnan(value(df, "mean_ukp_stay")), "no stay with >= 1 UKP-day"


def test_mean_ukp_stay_excludes_zero_day_stays_and_mean_all_includes_them(base):
    b = Builder(small(base))
    b.ukp("Melhus", at(3, 10), at(5, 9))      # 2 days
    b.ukp("Melhus", at(10, 9), at(10, 13))    # 0 days
    b.ukp("Melhus", at(20, 14), at(25, 8))    # 5 days
    b.ukp("Melhus", at(40, 8), at(40, 12))    # 0 days
    df = b.kpis()
    for muni in ("Melhus", TOTAL):
        assert value(df, "ukp_days", muni) == 7.0
        assert value(df, "ukp_stays", muni) == 4.0
        assert value(df, "zero_day_share", muni) == pytest.approx(0.5)
        assert value(df, "mean_ukp_stay", muni) == pytest.approx(3.5)
        assert value(df, "mean_ukp_stay_all", muni) == pytest.approx(7 / 4)


def test_ukp_days_per_1000_uses_the_population(base):
    s = small(base)
    b = Builder(s)
    b.ukp("Melhus", at(3, 10), at(13, 9))  # 10 days
    df = b.kpis()
    pop = s.municipalities["Melhus"].population
    assert value(df, "ukp_days_per_1000", "Melhus") == pytest.approx(10 / pop * 1000)
    assert value(df, "ukp_days_per_1000") == pytest.approx(10 / s.population * 1000)
    # a whole-year measure only
    monthly = df[(df["kpi"] == "ukp_days_per_1000") & (df["month"] != WHOLE_YEAR)]
    assert monthly.empty


# --------------------------------------------------------------------------------------------
# KPI 4 and 5: straight home, readmissions
# --------------------------------------------------------------------------------------------
def test_straight_home_share_counts_both_home_destinations(base):
    b = Builder(small(base))
    b.ukp("Orkland", at(3, 10), at(4, 9), KORTTID)
    b.ukp("Orkland", at(5, 10), at(6, 9), HOME_NEW)
    b.ukp("Orkland", at(7, 10), at(8, 9), HOME_NONE)
    b.ukp("Orkland", at(9, 10), at(10, 9), KORTTID)
    df = b.kpis()
    assert value(df, "straight_home_share", "Orkland") == pytest.approx(0.5)
    assert value(df, "straight_home_share") == pytest.approx(0.5)


def test_readmission_within_the_window_counts_and_beyond_does_not(base):
    s = small(base)
    assert s.readmission.window_days == 30
    b = Builder(s)
    # Melhus: readmitted 29 days after the UKP discharge
    b.ukp("Melhus", at(10, 9), at(14, 12), patient=1, admitted=at(5))
    b.plain("Melhus", patient=1, admitted=at(43, 12), discharged=at(47))
    # Malvik: readmitted 31 days after
    b.ukp("Malvik", at(10, 9), at(14, 12), patient=2, admitted=at(5))
    b.plain("Malvik", patient=2, admitted=at(45, 12), discharged=at(48))
    # Skaun: never readmitted; another patient's admission 5 days later does not count
    b.ukp("Skaun", at(10, 9), at(14, 12), patient=3, admitted=at(5))
    b.plain("Skaun", patient=4, admitted=at(19, 12), discharged=at(22))
    df = b.kpis()
    assert value(df, "readmission_30d_share", "Melhus") == 1.0
    assert value(df, "readmission_30d_share", "Malvik") == 0.0
    assert value(df, "readmission_30d_share", "Skaun") == 0.0
    assert value(df, "readmission_30d_share") == pytest.approx(1 / 3)
    # the readmission stays are not UKP stays
    assert value(df, "ukp_stays") == 3.0


def test_readmission_counts_only_the_next_admission_after_the_discharge(base):
    """A UKP stay followed by another UKP stay of the same patient: the first is a readmission
    case (14 days), the second, not followed by anything, is not."""
    b = Builder(small(base))
    b.ukp("Melhus", at(10, 9), at(12, 12), patient=7, admitted=at(5))
    b.ukp("Melhus", at(30, 9), at(33, 12), patient=7, admitted=at(26))
    df = b.kpis()
    assert value(df, "ukp_stays", "Melhus") == 2.0
    assert value(df, "readmission_30d_share", "Melhus") == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# Counting by day or by discharge, across New Year and months
# --------------------------------------------------------------------------------------------
def test_day_mode_splits_a_stay_crossing_new_year(base):
    s = small(base, years=2)
    b = Builder(s)
    # 2022-12-29 (day 362) 10:00 -> 2023-01-03 (day 367) 09:00: 29, 30, 31 Dec + 1, 2 Jan
    assert build_calendar(s).dates[362] == dt.date(2022, 12, 29)
    b.ukp("Melhus", at(362, 10), at(367, 9))
    df = b.kpis()
    assert value(df, "ukp_days", year=2022) == 3.0
    assert value(df, "ukp_days", year=2023) == 2.0
    assert value(df, "ukp_days", year=2022, month=12) == 3.0
    assert value(df, "ukp_days", year=2023, month=1) == 2.0
    # the stay itself belongs to its discharge's year
    assert value(df, "ukp_stays", year=2022) == 0.0
    assert value(df, "ukp_stays", year=2023) == 1.0
    assert value(df, "mean_ukp_stay", year=2023) == 5.0


def test_day_mode_splits_a_stay_crossing_a_month_end(base):
    b = Builder(small(base))
    b.ukp("Melhus", at(29, 10), at(32, 9))  # 30 Jan -> 2 Feb: 30, 31 Jan + 1 Feb
    df = b.kpis()
    assert value(df, "ukp_days", month=1) == 2.0
    assert value(df, "ukp_days", month=2) == 1.0
    assert value(df, "ukp_days") == 3.0
    assert value(df, "ukp_stays", month=1) == 0.0
    assert value(df, "ukp_stays", month=2) == 1.0


def test_discharge_mode_puts_all_days_in_the_discharge_period(base):
    s = small(base, years=2, by="discharge")
    b = Builder(s)
    b.ukp("Melhus", at(362, 10), at(367, 9))
    b.ukp("Melhus", at(29, 10), at(32, 9))
    df = b.kpis()
    assert value(df, "ukp_days", year=2022) == 3.0  # the January stay only
    assert value(df, "ukp_days", year=2023) == 5.0
    assert value(df, "ukp_days", year=2022, month=12) == 0.0
    assert value(df, "ukp_days", year=2023, month=1) == 5.0
    assert value(df, "ukp_days", year=2022, month=1) == 0.0
    assert value(df, "ukp_days", year=2022, month=2) == 3.0
    assert value(df, "ukp_days", "Melhus", year=2023) == 5.0
    assert value(df, "cost_nok", year=2023) == pytest.approx(5 * s.dognpris(2023))
    assert "discharge" in definitions_for(s)["ukp_days"].definition


def test_day_mode_counts_only_the_period_days_of_a_stay_declared_in_the_warmup(base):
    s = small(base, warmup=10)  # day 10 = 1 Jan 2022
    b = Builder(s)
    b.ukp("Melhus", at(5, 10), at(15, 9))  # 5 warm-up days, 5 period days
    df = b.kpis()
    assert value(df, "ukp_days") == 5.0
    assert value(df, "ukp_stays") == 1.0
    assert value(df, "mean_ukp_stay") == 10.0  # the stay's full length
    df_dis = Builder(small(base, warmup=10, by="discharge"))
    df_dis.ukp("Melhus", at(5, 10), at(15, 9))
    assert value(df_dis.kpis(), "ukp_days") == 10.0


def test_stays_discharged_outside_the_period_are_not_counted(base):
    s = small(base, warmup=10, followup=30)  # period = days 10..374
    b = Builder(s)
    b.ukp("Melhus", at(1, 10), at(3, 9))      # entirely in the warm-up
    b.ukp("Melhus", at(376, 10), at(380, 9))  # entirely in the follow-up
    df = b.kpis()
    assert value(df, "ukp_days") == 0.0
    assert value(df, "ukp_stays") == 0.0


# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------
def test_cost_is_ukp_days_times_that_years_dognpris(base):
    s = small(base, years=2)
    assert s.dognpris(2022) == 5306 and s.dognpris(2023) == 5508
    b = Builder(s)
    b.ukp("Melhus", at(362, 10), at(367, 9))  # 3 days in 2022, 2 in 2023
    b.ukp("Melhus", at(100, 10), at(100, 12))  # 0 days
    b.ukp("Orkland", at(400, 10), at(404, 9))  # 4 days in 2023
    df = b.kpis()
    assert value(df, "cost_nok", year=2022) == pytest.approx(3 * 5306)
    assert value(df, "cost_nok", year=2023) == pytest.approx(6 * 5508)
    assert value(df, "cost_nok", "Orkland", year=2023) == pytest.approx(4 * 5508)
    assert value(df, "cost_nok", year=2023, month=1) == pytest.approx(2 * 5508)


def test_cost_billing_days_adds_the_declaration_day_of_stays_with_days(base):
    s = small(base, years=2, cost_basis="billing_days")
    b = Builder(s)
    b.ukp("Melhus", at(362, 10), at(367, 9))   # 3 + 1 billed in 2022, 2 in 2023
    b.ukp("Melhus", at(100, 10), at(100, 12))  # 0 days: nothing billed
    b.ukp("Orkland", at(400, 10), at(404, 9))  # 4 + 1 in 2023
    df = b.kpis()
    assert value(df, "cost_nok", year=2022) == pytest.approx(4 * 5306)
    assert value(df, "cost_nok", year=2023) == pytest.approx(7 * 5508)
    assert value(df, "cost_nok", "Orkland", year=2023) == pytest.approx(5 * 5508)
    # the UKP-days themselves do not change with the cost basis
    assert value(df, "ukp_days", year=2022) == 3.0
    assert value(df, "ukp_days", year=2023) == 6.0
    assert "billing" in definitions_for(s)["cost_nok"].definition


# --------------------------------------------------------------------------------------------
# Beds held by UKP
# --------------------------------------------------------------------------------------------
def test_beds_held_mean_times_days_equals_ukp_days(base):
    s = small(base, years=2)
    b = Builder(s)
    b.ukp("Melhus", at(3, 10), at(5, 9))
    b.ukp("Orkland", at(4, 10), at(20, 9))
    b.ukp("Trondheim", at(362, 10), at(367, 9))
    b.ukp("Trondheim", at(600, 10))  # still waiting at the end
    df = b.kpis()
    for year, n_days in ((2022, 365), (2023, 365)):
        mean = value(df, "beds_held_by_ukp_mean", year=year)
        assert mean * n_days == pytest.approx(value(df, "ukp_days", year=year))
    # and per month
    assert value(df, "beds_held_by_ukp_mean", year=2022, month=1) * 31 == pytest.approx(
        value(df, "ukp_days", year=2022, month=1))
    # two stays overlap on 4 January: the 95th percentile of the daily census is 2
    assert value(df, "beds_held_by_ukp_p95", year=2022, month=1) == pytest.approx(
        np.percentile([0, 0, 0, 1, 2] + [1] * 15 + [0] * 11, 95))


# --------------------------------------------------------------------------------------------
# KPI 6: korttid length of stay, per municipality and per unit
# --------------------------------------------------------------------------------------------
def test_korttid_los_over_stays_ending_in_the_period_without_initial_residents(base):
    s = small(base)
    b = Builder(s)
    b.korttid(OYA, at(10, 12), at(30, 5))                        # 20 days
    b.korttid(OYA, at(20, 8), at(45, 22), FROM_HOME)             # 25 days
    b.korttid(OYA, at(0), at(50, 10), FROM_INITIAL)              # left out: present at the start
    b.korttid(OYA, at(300, 10))                                  # left out: not ended
    b.korttid(OYA, at(350, 10), at(370, 10), how=END_LONG_TERM)  # left out: ends after the period
    b.korttid("Trondheim/korttid", at(5, 10), at(15, 9))         # 10 days
    b.korttid("Melhus/korttid", at(5, 10), at(9, 9))             # 4 days
    df = b.kpis()
    assert value(df, "korttid_los", OYA) == pytest.approx(22.5)
    assert value(df, "korttid_los", "Trondheim/korttid") == pytest.approx(10.0)
    assert value(df, "korttid_los", "Trondheim") == pytest.approx((20 + 25 + 10) / 3)
    assert value(df, "korttid_los", "Melhus") == pytest.approx(4.0)
    assert value(df, "korttid_los") == pytest.approx((20 + 25 + 10 + 4) / 4)
    assert math.isnan(value(df, "korttid_los", "Orkland/korttid"))
    # monthly: the stay ending 30 Jan is January's, the one ending 15 Feb February's
    assert value(df, "korttid_los", OYA, month=1) == pytest.approx(20.0)
    assert value(df, "korttid_los", OYA, month=2) == pytest.approx(25.0)


def test_unit_rows_carry_only_korttid_los(base):
    s = small(base)
    b = Builder(s)
    b.korttid(OYA, at(10, 12), at(30, 5))
    df = b.kpis()
    units = [f"{m.name}/{u}" for m in s.municipalities.values() for u in m.korttid.units]
    assert OYA in units
    unit_rows = df[df["municipality"].str.contains("/", regex=False)]
    assert set(unit_rows["municipality"]) == set(units)
    assert set(unit_rows["kpi"]) == {"korttid_los"}
    # one row per unit and period (1 year + 12 months)
    assert len(unit_rows) == len(units) * 13


# --------------------------------------------------------------------------------------------
# Municipalities add up to the Total
# --------------------------------------------------------------------------------------------
def test_municipality_rows_add_up_to_the_total(base):
    s = small(base, years=2)
    b = Builder(s)
    rng = np.random.default_rng(1)
    names = list(s.municipalities)
    for i in range(200):
        t0 = rng.uniform(0, 720)
        length = rng.choice([0.1, rng.exponential(3.0)])
        t1 = t0 + length if rng.random() < 0.95 else math.nan
        b.ukp(names[rng.integers(len(names))], t0, t1, int(rng.integers(3)))
    df = b.kpis()
    munis = df[df["municipality"].isin(names)]
    total = df[df["municipality"] == TOTAL]
    for k in ("ukp_days", "ukp_stays", "cost_nok"):
        summed = munis[munis["kpi"] == k].groupby(["year", "month"])["value"].sum()
        tot = total[total["kpi"] == k].set_index(["year", "month"])["value"]
        pd.testing.assert_series_equal(summed.sort_index(), tot.sort_index(), check_names=False)
    assert value(df, "ukp_stays", year=2022) + value(df, "ukp_stays", year=2023) > 150


# --------------------------------------------------------------------------------------------
# Stays still waiting at the end
# --------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("error")  # an empty mean is NaN on purpose, not a numpy warning
def test_stay_still_waiting_counts_its_days_but_not_as_a_stay(base):
    s = small(base)  # period = days 0..364, follow-up to 394
    b = Builder(s)
    b.ukp("Melhus", at(360, 10))  # never discharged: 27..31 December in the period
    df = b.kpis()
    assert value(df, "ukp_days") == 5.0
    assert value(df, "ukp_days", "Melhus") == 5.0
    assert value(df, "ukp_days", month=12) == 5.0
    assert value(df, "cost_nok") == pytest.approx(5 * s.dognpris(2022))
    assert value(df, "ukp_stays") == 0.0
    for k in ("zero_day_share", "mean_ukp_stay", "mean_ukp_stay_all", "straight_home_share",
              "readmission_30d_share"):
        assert math.isnan(value(df, k)), k


def test_stay_still_waiting_leaves_other_stays_kpis_unchanged(base):
    b = Builder(small(base))
    b.ukp("Melhus", at(3, 10), at(5, 9), HOME_NEW)
    b.ukp("Melhus", at(100, 10))  # waiting until the end: 265 days in the period
    df = b.kpis()
    assert value(df, "ukp_days") == 2.0 + 265.0
    assert value(df, "ukp_stays") == 1.0
    assert value(df, "mean_ukp_stay") == 2.0
    assert value(df, "straight_home_share") == 1.0


def test_discharge_past_the_horizon_counts_as_still_waiting(base):
    s = small(base)
    b = Builder(s)
    b.ukp("Melhus", at(360, 10), at(500))  # finish(horizon = 395) turns this into NaN
    df = b.kpis()
    assert np.isnan(b.rec.stays["t_discharged"][0])
    assert value(df, "ukp_days") == 5.0
    assert value(df, "ukp_stays") == 0.0


# --------------------------------------------------------------------------------------------
# Hospital occupancy and definitions
# --------------------------------------------------------------------------------------------
def test_hospital_occupancy_counts_tracked_and_background_patients_at_midnight(base):
    s = small(base)
    b = Builder(s)
    b.ukp("Melhus", at(0, 10), at(365, 10))            # in hospital every midnight of 2022
    b.rec.background_admitted = np.array([at(0, 1)])
    b.rec.background_discharged = np.array([math.nan])  # the whole year too
    df = b.kpis()
    assert value(df, "hospital_occupancy") == pytest.approx(2 / s.hospital.somatic_beds)
    occ = df[(df["kpi"] == "hospital_occupancy")]
    assert set(occ["municipality"]) == {TOTAL}


def test_every_definition_is_complete():
    for k, d in DEFINITIONS.items():
        assert d.id == k
        assert d.label_nb and d.label_en and d.unit and d.definition
    assert {"ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share",
            "readmission_30d_share", "korttid_los"} <= set(DEFINITIONS)
    assert kpi_mod.TOTAL == "Total" and kpi_mod.WHOLE_YEAR == 0


# --------------------------------------------------------------------------------------------
# A period starting on 29 February
# --------------------------------------------------------------------------------------------
def test_period_starting_on_29_february_is_reported(base):
    """The model accepts a period from 29 Feb (core.period_bounds ends it on 28 Feb); the KPIs
    must cover the same days instead of failing."""
    s = dataclasses.replace(
        base, period=dataclasses.replace(base.period, start=dt.date(2024, 2, 29), warmup_days=0),
    )
    b = Builder(s)
    b.ukp("Melhus", at(3, 10), at(5, 9))  # 3 -> 5 March 2024
    df = b.kpis()
    assert value(df, "ukp_days", year=2024) == 2.0
    assert value(df, "ukp_days", year=2024, month=3) == 2.0
    assert set(df["year"]) == {2024, 2025}


# --------------------------------------------------------------------------------------------
# Korttid beds occupied
# --------------------------------------------------------------------------------------------
def test_korttid_beds_occupied_counts_bed_days_at_midnight(base):
    s = small(base)
    b = Builder(s)
    b.korttid(OYA, at(10, 12), at(30, 5))                      # Jan 11-30: days 10..29 = 20 bed-days
    b.korttid(OYA, at(0), at(5, 10), FROM_INITIAL)             # present at the start: days 0..4 = 5
    b.korttid("Melhus/korttid", at(300, 10))                   # not ended: days 300..364 = 65
    df = b.kpis()
    assert value(df, "korttid_beds_occupied", "Trondheim") * 365 == pytest.approx(25)
    assert value(df, "korttid_beds_occupied", "Trondheim", month=1) * 31 == pytest.approx(25)
    assert value(df, "korttid_beds_occupied", "Melhus") * 365 == pytest.approx(65)
    assert value(df, "korttid_beds_occupied") * 365 == pytest.approx(90)


def test_korttid_beds_occupied_follows_a_shared_bed_patient_home(base):
    s = small(base)
    b = Builder(s)
    row = b.korttid("Melhus/korttid", at(10, 12), at(40, 9))   # days 10..39, moved home on day 20
    b.rec._korttid_sparse["patient_municipality"][row] = muni_index(s, "Malvik")
    b.rec.move_korttid(row, at(20, 15), unit_index(s, "Malvik/korttid"))
    df = b.kpis()
    assert value(df, "korttid_beds_occupied", "Melhus") * 365 == pytest.approx(10)   # days 10..19
    assert value(df, "korttid_beds_occupied", "Malvik") * 365 == pytest.approx(20)   # days 20..39
    assert value(df, "korttid_beds_occupied") * 365 == pytest.approx(30)


def test_simulated_korttid_occupancy_stays_within_the_listed_beds(base):
    """With no intervention and no temporary beds, no municipality fills more beds than it has."""
    s = small(base, warmup=60)
    df = single_run(s, 11, 0)
    for name, m in s.municipalities.items():
        beds = sum(u.beds for u in m.korttid.units.values())
        monthly = df[(df["kpi"] == "korttid_beds_occupied") & (df["municipality"] == name) & (df["month"] > 0)]
        assert (monthly["value"] <= beds + 1e-9).all(), name
    assert value(df, "korttid_beds_occupied") > 0


# --------------------------------------------------------------------------------------------
# The counting rules of DOMAIN.md, pinned on the smallest cases (exact, hand-computed values)
#
# "National statistics count a stay's UKP-days as discharge date minus the date of declaration,
# so a same-day discharge is a 0-day stay." KPI 2 is the share of stays with 0 such days, KPI 3
# the mean over stays with at least one. A UKP-day is a midnight spent as UKP: in "day" mode it
# belongs to the day that midnight ends (the declaration date up to the day before discharge).
# --------------------------------------------------------------------------------------------
def test_one_day_stay_is_not_a_zero_day_stay(base):
    """23 hours across one midnight is 1 UKP-day; 23 hours inside one date is 0."""
    b = Builder(small(base))
    b.ukp("Melhus", at(3, 10), at(4, 9))       # 10:00 -> 09:00 next day: 1 day
    df = b.kpis()
    assert value(df, "ukp_days") == 1.0
    assert value(df, "ukp_stays") == 1.0
    assert value(df, "zero_day_share") == 0.0
    assert value(df, "mean_ukp_stay") == 1.0
    assert value(df, "mean_ukp_stay_all") == 1.0

    b = Builder(small(base))
    b.ukp("Melhus", at(3, 0.5), at(3, 23.5))   # 00:30 -> 23:30 the same date: 0 days
    df = b.kpis()
    assert value(df, "ukp_days") == 0.0
    assert value(df, "zero_day_share") == 1.0


def test_zero_and_one_day_stays_mixed(base):
    """Stays of 0, 1, 1 and 2 days: KPI 2 = 1/4, KPI 3 = (1 + 1 + 2) / 3, all-stays mean 4/4."""
    b = Builder(small(base))
    b.ukp("Melhus", at(10, 9), at(10, 15))    # 0
    b.ukp("Melhus", at(20, 14), at(21, 10))   # 1
    b.ukp("Orkland", at(30, 23), at(31, 1))   # 1 (two hours, one midnight)
    b.ukp("Orkland", at(40, 8), at(42, 8))    # 2
    df = b.kpis()
    assert value(df, "ukp_days") == 4.0
    assert value(df, "ukp_stays") == 4.0
    assert value(df, "zero_day_share") == pytest.approx(1 / 4)
    assert value(df, "mean_ukp_stay") == pytest.approx(4 / 3)
    assert value(df, "mean_ukp_stay_all") == pytest.approx(1.0)
    assert value(df, "zero_day_share", "Melhus") == pytest.approx(1 / 2)
    assert value(df, "zero_day_share", "Orkland") == 0.0
    assert value(df, "mean_ukp_stay", "Orkland") == pytest.approx(3 / 2)


@pytest.mark.parametrize("declared, discharged, days", [
    (at(3, 23 + 59 / 60), at(4, 1 / 60), 1),   # two minutes across midnight: 1
    (at(3), at(3, 23.75), 0),                   # declared at 00:00, out before the next midnight: 0
    (at(3, 12), at(4), 1),                      # discharged on the stroke of midnight: that midnight counts
    (at(3), at(4), 1),                          # exactly 24 hours from midnight to midnight: 1
    (at(3, 0.25), at(10, 23.75), 7),            # 7 days 23.5 hours: 7 midnights
    (at(3, 23.75), at(10, 0.25), 7),            # 6 days 0.5 hours: still 7 midnights
])
def test_ukp_days_are_the_midnights_between_declaration_and_discharge(base, declared, discharged, days):
    b = Builder(small(base))
    b.ukp("Melhus", declared, discharged)
    df = b.kpis()
    assert value(df, "ukp_days") == days
    assert value(df, "zero_day_share") == (1.0 if days == 0 else 0.0)
    assert value(df, "mean_ukp_stay_all") == days
    # the midnight census (beds held by UKP) counts the same midnights
    assert value(df, "beds_held_by_ukp_mean") * 365 == pytest.approx(days)


def test_one_day_stay_across_new_year(base):
    """31 Dec 2022 15:00 -> 1 Jan 2023 10:00: one UKP-day, on 31 December (day mode), while the
    stay (and its KPI 2/3 values) belongs to 2023, the year of its discharge."""
    s = small(base, years=2)
    assert build_calendar(s).dates[364] == dt.date(2022, 12, 31)
    b = Builder(s)
    b.ukp("Melhus", at(364, 15), at(365, 10))
    b.ukp("Melhus", at(364, 8), at(364, 20))   # a 0-day stay on 31 Dec: a 2022 stay
    df = b.kpis()
    assert value(df, "ukp_days", year=2022) == 1.0
    assert value(df, "ukp_days", year=2022, month=12) == 1.0
    assert value(df, "ukp_days", year=2023) == 0.0
    assert value(df, "ukp_stays", year=2022) == 1.0
    assert value(df, "ukp_stays", year=2023) == 1.0
    assert value(df, "zero_day_share", year=2022) == 1.0
    assert value(df, "zero_day_share", year=2023) == 0.0
    assert value(df, "mean_ukp_stay", year=2023) == 1.0
    assert math.isnan(value(df, "mean_ukp_stay", year=2022))
    assert value(df, "cost_nok", year=2022) == pytest.approx(5306)
    assert value(df, "cost_nok", year=2023) == 0.0
    # counted by discharge, the day moves to 2023 with its stay
    b = Builder(small(base, years=2, by="discharge"))
    b.ukp("Melhus", at(364, 15), at(365, 10))
    df = b.kpis()
    assert value(df, "ukp_days", year=2022) == 0.0
    assert value(df, "ukp_days", year=2023) == 1.0
    assert value(df, "cost_nok", year=2023) == pytest.approx(5508)


def test_readmission_window_edges(base):
    """KPI 5 counts a next admission up to and including exactly ``window_days`` after the
    discharge, not a minute later; the window is the scenario's."""
    s = small(base)
    b = Builder(s)
    minute = 1 / (24 * 60)
    b.ukp("Melhus", at(10, 9), at(14, 12), patient=1, admitted=at(5))
    b.plain("Melhus", patient=1, admitted=at(44, 12), discharged=at(46))              # exactly 30 days
    b.ukp("Malvik", at(10, 9), at(14, 12), patient=2, admitted=at(5))
    b.plain("Malvik", patient=2, admitted=at(44, 12) + minute, discharged=at(46))     # 30 days + 1 minute
    b.ukp("Skaun", at(10, 9), at(14, 12), patient=3, admitted=at(5))
    b.plain("Skaun", patient=3, admitted=at(14, 12), discharged=at(16))               # at the same moment
    df = b.kpis()
    assert value(df, "readmission_30d_share", "Melhus") == 1.0
    assert value(df, "readmission_30d_share", "Malvik") == 0.0
    assert value(df, "readmission_30d_share", "Skaun") == 1.0
    assert value(df, "readmission_30d_share") == pytest.approx(2 / 3)

    # A 7-day window: 10 days later no longer counts, 7 days later does.
    s7 = dataclasses.replace(s, readmission=dataclasses.replace(s.readmission, window_days=7))
    b = Builder(s7)
    b.ukp("Melhus", at(10, 9), at(14, 12), patient=1, admitted=at(5))
    b.plain("Melhus", patient=1, admitted=at(24, 12), discharged=at(26))   # 10 days
    b.ukp("Malvik", at(10, 9), at(14, 12), patient=2, admitted=at(5))
    b.plain("Malvik", patient=2, admitted=at(21, 12), discharged=at(26))   # 7 days
    df = b.kpis()
    assert value(df, "readmission_30d_share", "Melhus") == 0.0
    assert value(df, "readmission_30d_share", "Malvik") == 1.0


def test_readmission_in_the_next_year_counts_for_the_discharge_year(base):
    """A stay discharged on 20 Dec 2022 and readmitted on 5 Jan 2023 (in the follow-up) is a
    2022 readmission case; the readmission is no UKP stay of 2023."""
    s = small(base)  # 2022 + 30 follow-up days
    b = Builder(s)
    b.ukp("Melhus", at(350, 9), at(353, 12), patient=1, admitted=at(345))
    b.plain("Melhus", patient=1, admitted=at(369, 12), discharged=at(372))
    b.ukp("Malvik", at(350, 9), at(353, 12), patient=2, admitted=at(345))
    df = b.kpis()
    assert value(df, "readmission_30d_share") == pytest.approx(1 / 2)
    assert value(df, "readmission_30d_share", "Melhus") == 1.0
    assert value(df, "ukp_stays") == 2.0


def test_billing_days_counted_by_discharge_go_to_the_discharge_year(base):
    """Counting by discharge with the billing rule: the declaration day billed on top of a stay's
    UKP-days belongs to the same period as those days (the discharge's), not the declaration's."""
    s = small(base, years=2, by="discharge", cost_basis="billing_days")
    b = Builder(s)
    b.ukp("Melhus", at(362, 10), at(367, 9))   # 29 Dec 2022 -> 3 Jan 2023: 5 days + 1 billed, all 2023
    b.ukp("Melhus", at(100, 10), at(100, 12))  # 0 days: nothing billed
    df = b.kpis()
    assert value(df, "cost_nok", year=2022) == 0.0
    assert value(df, "cost_nok", year=2023) == pytest.approx(6 * 5508)
    assert value(df, "cost_nok", year=2023, month=1) == pytest.approx(6 * 5508)
    assert value(df, "cost_nok", year=2022, month=12) == 0.0
    assert value(df, "ukp_days", year=2023) == 5.0


def test_stays_discharged_on_the_first_and_last_day_of_the_period_count(base):
    """The period's edges: a stay discharged on its first day (1 Jan 2022, after a warm-up) and one
    discharged on its last day (31 Dec 2022) are stays of 2022; one discharged on 1 Jan 2023 (the
    follow-up) is not."""
    s = small(base, warmup=10)  # day 10 = 1 Jan 2022, day 374 = 31 Dec 2022
    assert build_calendar(s).dates[10] == dt.date(2022, 1, 1)
    b = Builder(s)
    b.ukp("Melhus", at(8, 10), at(10, 9))      # 2 days, discharged 1 Jan
    b.ukp("Malvik", at(371, 10), at(374, 9))   # 3 days, discharged 31 Dec
    b.ukp("Skaun", at(373, 10), at(375, 9))    # discharged 1 Jan 2023: not a 2022 stay
    df = b.kpis()
    assert value(df, "ukp_stays") == 2.0
    assert value(df, "ukp_stays", "Melhus") == 1.0 and value(df, "ukp_stays", month=1) == 1.0
    assert value(df, "ukp_stays", "Malvik") == 1.0 and value(df, "ukp_stays", month=12) == 1.0
    assert value(df, "ukp_stays", "Skaun") == 0.0
    assert value(df, "mean_ukp_stay") == pytest.approx(2.5)
    # day mode: the Melhus stay's days (30, 31 Dec 2021) are warm-up days, Skaun's count in 2022
    assert value(df, "ukp_days") == 0 + 3 + 2


def test_a_stay_still_waiting_counts_nowhere_when_counting_by_discharge(base):
    """By discharge (and with the billing rule), a stay still waiting at the end of the run has no
    discharge period: its days and its billed declaration day count nowhere."""
    s = small(base, by="discharge", cost_basis="billing_days")
    b = Builder(s)
    b.ukp("Melhus", at(300, 10))               # never discharged
    b.ukp("Melhus", at(3, 10), at(5, 9))       # 2 days + 1 billed
    df = b.kpis()
    assert value(df, "ukp_days") == 2.0
    assert value(df, "cost_nok") == pytest.approx(3 * 5306)
    assert value(df, "ukp_stays") == 1.0
    # the midnight census (beds held) still sees the waiting patient every night to the end
    assert value(df, "beds_held_by_ukp_mean", month=12) == 1.0


def test_korttid_stay_ending_on_the_first_day_of_the_period_counts(base):
    """KPI 6 takes korttid stays that end in the period, the first day included."""
    s = small(base, warmup=10)  # day 10 = 1 Jan 2022
    b = Builder(s)
    b.korttid(OYA, at(0, 12), at(10, 9))      # 10 days, ends 1 Jan 2022
    b.korttid(OYA, at(5, 12), at(9, 9))       # ends 31 Dec 2021: warm-up, left out
    df = b.kpis()
    assert value(df, "korttid_los", OYA) == 10.0
    assert value(df, "korttid_los", OYA, month=1) == 10.0
    assert value(df, "korttid_los", "Trondheim") == 10.0


def test_a_same_day_korttid_stay_occupies_no_midnight(base):
    """Korttid beds occupied are counted at midnight: a stay that starts and ends on the same date
    (here the first day of the run) holds no bed at any midnight; one ending the next day holds one."""
    s = small(base)
    b = Builder(s)
    b.korttid("Melhus/korttid", at(0, 10), at(0, 15))
    b.korttid("Malvik/korttid", at(0, 10), at(1, 9))
    df = b.kpis()
    assert value(df, "korttid_beds_occupied", "Melhus") == 0.0
    assert value(df, "korttid_beds_occupied", "Malvik") * 365 == pytest.approx(1)


@pytest.mark.filterwarnings("error")  # no division by zero
def test_ukp_days_per_1000_of_a_municipality_without_inhabitants_is_nan(base):
    """The schema accepts population 0; its rate per 1,000 is undefined (NaN), not inf."""
    s = small(base)
    melhus = dataclasses.replace(s.municipalities["Melhus"], population=0)
    s = dataclasses.replace(s, municipalities={**s.municipalities, "Melhus": melhus})
    b = Builder(s)
    b.ukp("Melhus", at(3, 10), at(5, 9))
    df = b.kpis()
    assert math.isnan(value(df, "ukp_days_per_1000", "Melhus"))
    assert value(df, "ukp_days", "Melhus") == 2.0
    assert value(df, "ukp_days_per_1000") == pytest.approx(2 / s.population * 1000)


# --------------------------------------------------------------------------------------------
# Calibration targets: korttid occupancy, readmission after stays with UKP-days, the winter peak
# --------------------------------------------------------------------------------------------
def test_korttid_occupancy_divides_occupied_beds_by_the_documented_places_open_each_day(base):
    """Malvik with one more unit of 10 places that opens on 1 July: its places average 26 + 10 x
    184/365 over the year; one bed occupied all year and another for 73 days give 1.2 beds."""
    m = base.municipalities["Malvik"]
    extra = dataclasses.replace(next(iter(m.korttid.units.values())), beds=10, opens=dt.date(2022, 7, 1))
    units = {**m.korttid.units, "ny": extra}
    malvik = dataclasses.replace(m, korttid=dataclasses.replace(m.korttid, units=units))
    s = small(dataclasses.replace(base, municipalities={**base.municipalities, "Malvik": malvik}))
    cal = build_calendar(s)
    first = (dt.date(2022, 1, 1) - cal.origin).days
    b = Builder(s)
    label = next(f"Malvik/{u}" for u in m.korttid.units)
    b.korttid(label, at(first - 5), at(first + 400))  # all year (started before the period)
    b.korttid(label, at(first + 10, 13), at(first + 83, 9))  # 73 nights
    df = b.kpis()
    own = sum(u.beds for u in m.korttid.units.values())
    places = own + 10 * 184 / 365
    assert value(df, "korttid_beds_occupied", "Malvik") == pytest.approx(1 + 73 / 365)
    assert value(df, "korttid_occupancy", "Malvik") == pytest.approx((1 + 73 / 365) / places)
    # the community's: all occupied beds over all places (the 2022 baseline has no other dated unit)
    dated = [u for mm in s.municipalities.values() for u in mm.korttid.units.values() if u.opens or u.closes]
    assert dated == [extra]
    all_places = sum(u.beds for mm in s.municipalities.values() for u in mm.korttid.units.values()) - 10 * 181 / 365
    assert value(df, "korttid_occupancy") == pytest.approx((1 + 73 / 365) / all_places)


def test_readmission_after_stays_with_ukp_days_leaves_same_day_discharges_out(base):
    s = small(base)
    b = Builder(s)
    b.ukp("Melhus", at(10, 9), at(14, 12), patient=1, admitted=at(5))  # 4 UKP-days, readmitted
    b.plain("Melhus", patient=1, admitted=at(20), discharged=at(22))
    b.ukp("Melhus", at(30, 9), at(33, 12), patient=2, admitted=at(25))  # 3 UKP-days, not readmitted
    b.ukp("Melhus", at(40, 9), at(40, 14), patient=3, admitted=at(35))  # 0 UKP-days, readmitted
    b.plain("Melhus", patient=3, admitted=at(45), discharged=at(47))
    df = b.kpis()
    assert value(df, "readmission_30d_share", "Melhus") == pytest.approx(2 / 3)
    assert value(df, "readmission_30d_share_delayed", "Melhus") == pytest.approx(1 / 2)


def test_winter_ratio_is_january_and_february_over_the_year(base):
    """One UKP in hospital every night of the year, and a second one through February: the
    January-February mean is (31 x 1 + 28 x 2) / 59, the year's 1 + 28/365."""
    s = small(base)
    cal = build_calendar(s)
    first = (dt.date(2022, 1, 1) - cal.origin).days
    b = Builder(s)
    b.ukp("Skaun", at(first, 9), at(first + 365, 9))
    b.ukp("Skaun", at(first + 31, 10), at(first + 59, 9))
    df = b.kpis()
    expected = (87 / 59) / (1 + 28 / 365)
    assert value(df, "ukp_winter_ratio", "Skaun") == pytest.approx(expected)
    assert value(df, "ukp_winter_ratio") == pytest.approx(expected)
    # a whole-year measure only
    assert df[(df["kpi"] == "ukp_winter_ratio") & (df["month"] != WHOLE_YEAR)].empty

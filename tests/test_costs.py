"""Net cost and who pays (analysis/costs.py): each cost line from the run's own activity, priced by
the scenario's [costs]; the added-bed and flag KPIs it reads; and the signs of the savings table's
cost quantities (an intervention cost is scenario - baseline, a net saving baseline - scenario)."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from test_interventions import ON, START, baseline, with_iv

from ukp_sim.analysis.costs import cost_table, not_priced, partly_priced
from ukp_sim.analysis.study import scenario_savings
from ukp_sim.base.vocabulary import TOTAL, WHOLE_YEAR
from ukp_sim.interventions.base import active_share
from ukp_sim.interventions.discharge_team import FLAG_TEAM, FLAG_TEAM_HOME
from ukp_sim.interventions.escalation_plan import EscalationLevel
from ukp_sim.kpi import compute_kpis
from ukp_sim.sim.model import Model, build_calendar, period_bounds


def _kpi_rows(values: dict[str, float], replications=(0, 1), years=(2025,), scale=None) -> pd.DataFrame:
    """A whole-year Total KPI table: ``values`` for every replication and year (x ``scale(r, y)``)."""
    rows = [(y, WHOLE_YEAR, TOTAL, k, v * (scale(r, y) if scale else 1.0), r)
            for r in replications for y in years for k, v in values.items()]
    return pd.DataFrame(rows, columns=["year", "month", "municipality", "kpi", "value", "replication"])


def _covering(s, first: int, years: int):
    """``s`` with a reported period of ``years`` whole years from 1 Jan ``first``."""
    import dataclasses

    return dataclasses.replace(s, period=dataclasses.replace(s.period, start=dt.date(first, 1, 1), years=years))


def _wide(costs: pd.DataFrame) -> pd.DataFrame:
    return costs.pivot_table(index=["replication", "year"], columns="kpi", values="value")


def test_active_share_counts_the_days_of_the_year_from_the_start_on():
    assert active_share(dt.date(2023, 5, 1), 2025) == 1.0
    assert active_share(dt.date(2026, 1, 1), 2025) == 0.0
    assert active_share(dt.date(2025, 1, 1), 2025) == 1.0
    assert active_share(dt.date(2025, 12, 31), 2025) == pytest.approx(1 / 365)
    assert active_share(dt.date(2024, 9, 1), 2024) == pytest.approx(122 / 366)  # a leap year


def test_each_cost_line_is_the_runs_activity_times_its_price_and_lands_with_its_payer():
    s = with_iv(_covering(baseline(), 2024, 2),
                discharge_team={"enabled": True, "start": dt.date(2025, 7, 1), "capacity": 8},
                early_assessment={"enabled": True}, frailty_pathway={"enabled": True},
                escalation_plan={"enabled": True})
    c, iv = s.costs, s.interventions
    table = _kpi_rows({"stays_early_assessment": 40.0, "stays_frailty": 300.0, "korttid_added_bed_days": 250.0,
                       "cost_nok": 2.0e6, "ukp_days": 500.0}, years=(2024, 2025))
    w = _wide(cost_table(table, s))
    hourly = c.nurse_fte_year_nok / c.fte_hours_per_year
    assessment = 40 * iv.early_assessment.staff_hours * hourly
    frailty = 300 * iv.frailty_pathway.nurse_minutes / 60 * hourly
    beds = 250 * c.korttid_bed_day_nok
    team_2025 = 8 * iv.discharge_team.fte_per_place * c.nurse_fte_year_nok * 184 / 365
    share = iv.early_assessment.municipal_share
    assert iv.discharge_team.payer == "hospital" and 0 < share < 0.5
    for year, team in ((2024, 0.0), (2025, team_2025)):
        row = w.loc[(0, year)]
        municipal = beds + assessment * share
        hospital = frailty + assessment * (1 - share) + team
        assert row["intervention_cost_municipality_nok"] == pytest.approx(municipal)
        assert row["intervention_cost_hospital_nok"] == pytest.approx(hospital)
        assert row["intervention_cost_nok"] == pytest.approx(municipal + hospital)
        # The døgnpris is a transfer: the municipality pays it, the hospital receives it.
        assert row["municipality_pays_nok"] == pytest.approx(municipal + 2.0e6)
        assert row["hospital_net_nok"] == pytest.approx(hospital - 2.0e6)

    # The same team paid by the municipalities moves its cost, and only its cost, to them.
    paid = with_iv(s, discharge_team={"payer": "municipality"})
    diff = _wide(cost_table(table, paid)) - w
    assert diff.loc[(0, 2025), "intervention_cost_municipality_nok"] == pytest.approx(team_2025)
    assert diff.loc[(0, 2025), "intervention_cost_hospital_nok"] == pytest.approx(-team_2025)
    assert diff.loc[(0, 2025), "intervention_cost_nok"] == pytest.approx(0.0, abs=1e-6)
    assert diff.loc[(0, 2024)].abs().max() == pytest.approx(0.0, abs=1e-6)
    # A measure that is off costs nothing, whatever its table's prices.
    off = with_iv(s, early_assessment={"enabled": False}, frailty_pathway={"enabled": False})
    w_off = _wide(cost_table(table, off))
    assert w_off.loc[(0, 2024), "intervention_cost_nok"] == pytest.approx(beds)


def test_only_measures_without_a_price_are_named_as_not_costed():
    s = with_iv(baseline(), bed_sharing={"enabled": True}, efficient_korttid={"enabled": True},
                discharge_team={"enabled": True}, capacity={"enabled": True})
    assert sorted(not_priced(s)) == ["bed_sharing", "efficient_korttid"]
    assert partly_priced(s) == ["capacity"]  # its beds are priced, its home intake and reception not
    assert not_priced(baseline()) == [] and partly_priced(baseline()) == []


def test_a_scenario_with_nothing_on_and_no_activity_costs_nothing():
    table = _kpi_rows({"cost_nok": 1.0e6, "ukp_days": 300.0})  # no flag or added-bed KPI at all
    w = _wide(cost_table(table, baseline()))
    assert (w["intervention_cost_nok"] == 0).all()
    assert (w["municipality_pays_nok"] == 1.0e6).all() and (w["hospital_net_nok"] == -1.0e6).all()


def test_the_savings_table_gives_intervention_costs_as_extra_spending_and_net_savings_per_payer():
    s_off = _covering(baseline(), 2023, 3)
    s_on = with_iv(s_off, discharge_team={"enabled": True, "start": dt.date(2020, 1, 1), "capacity": 4})
    years = (2023, 2024, 2025)
    base = _kpi_rows({"cost_nok": 3.0e6, "ukp_days": 600.0, "beds_held_by_ukp_mean": 2.0,
                      "stays_frailty": 0.0}, years=years)
    # The scenario: 100 UKP-days and 0.5 M døgnpris fewer, 20 beds-days of escalation (municipal).
    other = _kpi_rows({"cost_nok": 2.5e6, "ukp_days": 500.0, "beds_held_by_ukp_mean": 1.7,
                       "korttid_added_bed_days": 20.0}, years=years)
    from ukp_sim.analysis.study import with_costs

    sv = scenario_savings(with_costs(base, s_off), with_costs(other, s_on), "x", first_year=2023)
    got = sv.set_index(["period", "quantity"])["mean"]
    team = 4 * s_on.interventions.discharge_team.fte_per_place * s_on.costs.nurse_fte_year_nok
    beds = 20 * s_on.costs.korttid_bed_day_nok
    for period, n in (("2024", 1), ("2024–2025", 2)):
        assert got[(period, "cost_saved_nok")] == pytest.approx(0.5e6 * n)
        assert got[(period, "intervention_cost_nok")] == pytest.approx((team + beds) * n)
        assert got[(period, "intervention_cost_hospital_nok")] == pytest.approx(team * n)
        assert got[(period, "intervention_cost_municipality_nok")] == pytest.approx(beds * n)
        # The municipalities pay 0.5 M less døgnpris and the escalation beds; the hospital loses the
        # 0.5 M and pays the team; the community as a whole spends the interventions' cost.
        assert got[(period, "net_saving_municipality_nok")] == pytest.approx((0.5e6 - beds) * n)
        assert got[(period, "net_saving_hospital_nok")] == pytest.approx((-0.5e6 - team) * n)
        assert got[(period, "net_saving_community_nok")] == pytest.approx(-(team + beds) * n)
    # Without the cost pseudo-KPIs the table has no cost rows (a caller that does not want them).
    plain = scenario_savings(base, other, "x", first_year=2023)
    assert not plain["quantity"].str.contains("intervention_cost|net_saving").any()


@pytest.fixture(scope="module")
def escalation_run():
    s = with_iv(baseline(), escalation_plan={
        **ON, "peak_extra_share": 0.0, "lag_days": 1.0, "duration_days": 7.0, "no_holiday_closures": False,
        "levels": {"Trondheim": EscalationLevel(threshold=10, beds=6)}})
    rec = Model(s, 0, 0).run()
    return s, rec, compute_kpis(rec, s, build_calendar(s))


def test_added_bed_days_are_the_escalation_beds_open_at_each_day_end(escalation_run):
    s, rec, kpis = escalation_run
    e = rec.escalations
    assert e["t_open"].size > 3
    a = rec.added_beds
    origin, first, end = period_bounds(s)
    # every opening within the run recorded once (an escalation triggered near the end may be due to
    # open after the run's horizon, and then never opens)
    horizon = (end - origin).days + s.period.followup_days
    assert np.sum(a["change"][a["change"] > 0]) == np.sum(e["beds"][e["t_open"] < horizon])
    close = np.where(np.isnan(e["t_close"]), np.inf, e["t_close"])
    names = list(s.municipalities)
    found = 0
    for year in range(first.year, end.year):
        d0 = (dt.date(year, 1, 1) - origin).days
        d1 = (dt.date(year + 1, 1, 1) - origin).days
        days = np.arange(d0, d1)
        # A bed opened at t is open at the end of day floor(t) and of every day before floor(t_close).
        open_at_end = (np.floor(e["t_open"])[:, None] <= days) & (days < np.floor(close)[:, None])
        bed_days = (open_at_end * e["beds"][:, None]).sum(axis=1)
        whole = kpis[(kpis["year"] == year) & (kpis["month"] == WHOLE_YEAR) & (kpis["kpi"] == "korttid_added_bed_days")]
        got = whole.set_index("municipality")["value"]
        assert got[TOTAL] == pytest.approx(bed_days.sum())
        for mi, name in enumerate(names):
            assert got[name] == pytest.approx(bed_days[e["municipality"] == mi].sum()), name
        found += bed_days.sum() > 0
    assert found > 0


def test_stay_flag_counts_are_the_flagged_ukp_stays_and_zero_when_the_intervention_is_off(escalation_run):
    _, _, off = escalation_run
    assert (off.loc[off["kpi"].str.startswith("stays_"), "value"] == 0).all()
    s = with_iv(baseline(), discharge_team={**ON})
    rec = Model(s, 1, 0).run()
    kpis = compute_kpis(rec, s, build_calendar(s))
    whole = kpis[kpis["month"] == WHOLE_YEAR].pivot_table(index=["year", "municipality"], columns="kpi",
                                                          values="value")
    whole = whole[~whole.index.get_level_values("municipality").str.contains("/")]  # not the korttid units
    assert (whole["stays_team_home"] <= whole["stays_team"]).all()
    assert (whole["stays_team"] <= whole["ukp_stays"]).all()
    per_muni = whole.drop(index=TOTAL, level="municipality").groupby(level="year").sum()
    totals = whole.xs(TOTAL, level="municipality")
    for kpi in ("stays_team", "stays_team_home"):
        assert (per_muni[kpi] == totals[kpi]).all()
    # Over the whole period they are the records' flagged UKP stays discharged in it.
    st = rec.stays
    origin, first, end = period_bounds(s)
    day_out = np.floor(np.nan_to_num(st["t_discharged"], nan=-1.0))
    counted = ~np.isnan(st["t_declared"]) & (day_out >= (first - origin).days) & (day_out < (end - origin).days)
    flags = st["intervention_flags"][counted]
    assert totals["stays_team"].sum() > 50
    assert totals["stays_team"].sum() == np.count_nonzero(flags & FLAG_TEAM)
    assert totals["stays_team_home"].sum() == np.count_nonzero(flags & FLAG_TEAM_HOME)


def test_the_report_states_the_dognpris_each_year_uses_from_the_scenario():
    from ukp_sim.report.study_costs import dognpris_assumption

    s = baseline()
    given = {int(y) for y in s.costs.dognpris}
    later = max(given) + 1
    text = dognpris_assumption(s, [max(given), later], "en")
    grown = s.costs.dognpris[str(max(given))] * (1 + s.costs.dognpris_growth)
    assert f"{later} {grown:,.0f} (the last given price grown" in text
    assert f"{max(given)} {s.costs.dognpris[str(max(given))]:,.0f} (given in the scenario)" in text


def test_holidays_without_closures_count_the_beds_kept_open_as_added_bed_days():
    """An escalation plan that never triggers and opens no seasonal beds, but keeps every unit open
    over summer and Christmas: its added bed-days are, per unit, the beds the holiday cut would
    have closed on each holiday day from its start."""
    s = with_iv(baseline(), escalation_plan={**ON, "seasonal_start": START, "peak_extra_share": 0.0,
                                             "min_threshold": 10_000, "threshold_per_10000": 0.0})
    rec = Model(s, 0, 0).run()
    assert rec.escalations["t_trigger"].size == 0
    kpis = compute_kpis(rec, s, build_calendar(s))
    cal = build_calendar(s)
    origin, first, end = period_bounds(s)
    start = (START - origin).days
    names = list(s.municipalities)
    for year in range(first.year, end.year):
        d0, d1 = ((dt.date(y, 1, 1) - origin).days for y in (year, year + 1))
        days = np.arange(max(d0, start), d1)
        holiday = int(cal.holiday_period[days].sum())
        assert holiday > 30  # summer and Christmas
        got = kpis[(kpis["year"] == year) & (kpis["month"] == WHOLE_YEAR) & (kpis["kpi"] == "korttid_added_bed_days")]
        got = got.set_index("municipality")["value"]
        total = 0.0
        for name in names:
            m = s.municipalities[name]
            factor = m.reception.holiday_capacity_factor
            assert all(u.opens is None and u.closes is None for u in m.korttid.units.values())
            kept = sum(u.beds - math.floor(u.beds * factor + 0.5) for u in m.korttid.units.values())
            assert got[name] == pytest.approx(kept * holiday), name
            total += kept * holiday
        assert got[TOTAL] == pytest.approx(total) and total > 0
    # Off: nothing is added.
    off = with_iv(s, escalation_plan={"no_holiday_closures": False})
    k_off = compute_kpis(Model(off, 0, 0).run(), off, build_calendar(off))
    assert (k_off.loc[k_off["kpi"] == "korttid_added_bed_days", "value"] == 0).all()


def test_a_team_is_charged_only_for_the_days_of_a_year_the_results_cover():
    import dataclasses

    assert active_share(dt.date(2020, 1, 1), 2022, (dt.date(2022, 7, 1), dt.date(2022, 12, 31))) == \
        pytest.approx(184 / 365)
    assert active_share(dt.date(2022, 10, 1), 2022, (dt.date(2022, 7, 1), dt.date(2022, 12, 31))) == \
        pytest.approx(92 / 365)
    s = with_iv(baseline(), discharge_team={"enabled": True, "start": dt.date(2020, 1, 1), "capacity": 10})
    s = dataclasses.replace(s, period=dataclasses.replace(s.period, start=dt.date(2022, 7, 1), years=1))
    table = _kpi_rows({"cost_nok": 0.0}, years=(2022, 2023))
    w = _wide(cost_table(table, s))
    full = 10 * s.interventions.discharge_team.fte_per_place * s.costs.nurse_fte_year_nok
    assert w.loc[(0, 2022), "intervention_cost_hospital_nok"] == pytest.approx(full * 184 / 365)
    assert w.loc[(0, 2023), "intervention_cost_hospital_nok"] == pytest.approx(full * 181 / 365)  # to 30 June

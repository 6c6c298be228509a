"""Property tests of the patient-flow model: invariants that must hold on *every* sample path.

Each hypothesis example is one short run (about 14 months of simulated time) of a reduced
baseline: three municipalities with different structure (Trondheim: two units with different
lengths of stay, reception every day until 20:00, many direct admissions; Melhus: one unit,
weekday reception; Osen: a four-bed unit), the admission rate scaled down, and a few drawn
parameters (seed, korttid beds, decision time, admissions, holiday capacity, initial state).
Over-loaded draws (few beds, many admissions) are deliberately allowed: invariants must also hold
when queues grow without bound.

None of these properties has a tolerance: they are exact statements about every record, so any
violation is a bug (floating-point equality is only used where the model copies the same value).
"""
from __future__ import annotations

import dataclasses
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ukp_sim.config.scenario import InitialState
from ukp_sim.kpi import TOTAL, WHOLE_YEAR, compute_kpis
from ukp_sim.sim.model import Model, build_calendar, period_bounds
from ukp_sim.sim.records import END_DEATH, END_READMISSION, FROM_HOSPITAL, KORTTID, NO_DESTINATION

KEEP = ("Trondheim", "Melhus", "Osen")

# Few examples, each a short run: the whole file stays well under the non-slow time budget.
PROPERTY_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)


@pytest.fixture(scope="module")
def baseline(baseline_scenario):
    return baseline_scenario


def reduced(base, *, beds_factor: float, decision_mean: float, admissions_factor: float,
            holiday_factor: float, init_ukp: int, init_korttid: int, complex_share: float = 0.0):
    """The baseline cut down to three municipalities with the drawn parameters."""
    munis = {}
    for name in KEEP:
        m = base.municipalities[name]
        units = {
            uname: dataclasses.replace(u, beds=max(1, round(u.beds * beds_factor)))
            for uname, u in m.korttid.units.items()
        }
        munis[name] = dataclasses.replace(
            m,
            korttid=dataclasses.replace(m.korttid, units=units),
            decision_hours=dataclasses.replace(m.decision_hours, mean=decision_mean),
            reception=dataclasses.replace(m.reception, holiday_capacity_factor=holiday_factor),
        )
        munis[name] = dataclasses.replace(munis[name], complex_share=complex_share)  # extra planning days
    melhus_beds = sum(u.beds for u in munis["Melhus"].korttid.units.values())
    initial = {}
    if init_ukp or init_korttid:
        initial["Melhus"] = InitialState(ukp_waiting=init_ukp, korttid_occupied=min(init_korttid, melhus_beds))
    return dataclasses.replace(
        base,
        period=dataclasses.replace(base.period, warmup_days=20, years=1, followup_days=30),
        hospital=dataclasses.replace(
            base.hospital, admissions_per_year=base.hospital.admissions_per_year * admissions_factor
        ),
        municipalities=munis,
        initial_state=initial,
    )


scenario_params = st.fixed_dictionaries({
    "beds_factor": st.floats(0.25, 1.5),
    "decision_mean": st.one_of(st.just(0.0), st.floats(0.5, 72.0)),
    "admissions_factor": st.floats(0.05, 0.4),
    "holiday_factor": st.sampled_from([0.5, 0.85, 1.0]),
    "init_ukp": st.integers(0, 12),
    "init_korttid": st.integers(0, 30),
    "complex_share": st.sampled_from([0.0, 0.1, 0.5]),
})
seeds = st.integers(0, 2**31 - 1)


def run(base, params, seed):
    s = reduced(base, **params)
    return s, Model(s, seed, 0).run()


def unit_beds(s) -> np.ndarray:
    """Beds per unit uid: the model numbers units over municipalities in order, then units in order."""
    return np.array([u.beds for m in s.municipalities.values() for u in m.korttid.units.values()])


# ------------------------------------------------------------------------------------------------
# 1. Conservation of patients
# ------------------------------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(params=scenario_params, seed=seeds)
def test_patients_are_conserved(baseline, params, seed):
    s, rec = run(baseline, params, seed)
    st_ = rec.stays
    H = rec.horizon
    t_adm, t_dis = st_["t_admitted"], st_["t_discharged"]
    n = t_adm.size
    assert n > 0

    # Every stay is admitted inside the simulated horizon ...
    assert np.all(np.isfinite(t_adm)) and np.all((t_adm >= 0) & (t_adm <= H))
    # ... and is then either discharged inside the horizon or still in hospital at the end.
    discharged = np.isfinite(t_dis)
    inside = np.isnan(t_dis)
    assert np.all(discharged ^ inside), "t_discharged must be a finite time or NaN"
    assert np.all(t_dis[discharged] <= H)

    # Patient-level conservation: a patient's stays are numbered 1..k without gaps, only the last
    # one may still be going on, and a patient is inside at most once.
    order = np.lexsort((st_["episode"], st_["patient"]))
    pat, ep = st_["patient"][order], st_["episode"][order]
    first = np.r_[True, pat[1:] != pat[:-1]]
    last = np.r_[pat[1:] != pat[:-1], True]
    expected_ep = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0)) + 1
    assert np.array_equal(ep, expected_ep), "episodes of a patient must be 1, 2, ..., k"
    assert not np.any(inside[order] & ~last), "a patient was readmitted while still in hospital"
    inside_patients = pat[inside[order]]
    assert np.unique(inside_patients).size == inside_patients.size

    # Initial UKP are first stays at t = 0; every later stay is a readmission of a known patient.
    init = st_["initial"]
    assert np.all(st_["episode"][init] == 1) and np.all(t_adm[init] == 0.0)
    # A stay that needs no municipal services is never declared UKP.
    no_needs = ~st_["needs_services"]
    assert np.all(np.isnan(st_["t_declared"][no_needs]))
    assert np.all(st_["episode"][no_needs] >= 2)
    # Declared <=> has a destination.
    declared = np.isfinite(st_["t_declared"])
    assert np.array_equal(declared, st_["destination"] != NO_DESTINATION)

    # Korttid records: an end time iff an end code; the number of stays in each unit at the end
    # (starts - ends) is what a census of open records gives, and never negative.
    k = rec.korttid
    ended = np.isfinite(k["t_end"])
    assert np.array_equal(ended, k["end"] >= 0)
    assert np.all(k["t_end"][ended] >= k["t_start"][ended])
    assert np.all((k["t_start"] >= 0) & (k["t_start"] <= H))


# ------------------------------------------------------------------------------------------------
# 2. No negative waits, and discharges only when the municipality receives
# ------------------------------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(params=scenario_params, seed=seeds)
def test_no_negative_wait(baseline, params, seed):
    s, rec = run(baseline, params, seed)
    st_ = rec.stays
    t_adm, t_decl, t_ready, t_dis = (st_[c] for c in ("t_admitted", "t_declared", "t_ready", "t_discharged"))
    declared = np.isfinite(t_decl)
    # t_ready is set together with t_declared.
    assert np.array_equal(declared, np.isfinite(t_ready))
    assert np.all(t_decl[declared] >= t_adm[declared])
    assert np.all(t_ready[declared] >= t_decl[declared])
    both = declared & np.isfinite(t_dis)
    assert np.all(t_dis[both] >= t_ready[both]), "discharged before the municipality had decided"
    fin = np.isfinite(t_dis)
    assert np.all(t_dis[fin] >= t_adm[fin])
    # Decision times: with mean 0 (and no complex planning) the municipality decides at once.
    if params["decision_mean"] == 0.0 and params["complex_share"] == 0.0:
        assert np.array_equal(t_ready[declared], t_decl[declared])

    # Every UKP discharge happens while its municipality receives patients: on a reception
    # weekday, not on a public holiday (all three close then), within the opening hours.
    cal = build_calendar(s)
    specs = list(s.municipalities.values())
    days = np.floor(t_dis[both]).astype(int)
    hour = (t_dis[both] - days) * 24.0
    weekday = cal.weekday[days]
    for i, m in enumerate(specs):
        sel = st_["municipality"][both] == i
        r = m.reception
        open_days = [("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(d) for d in r.weekdays]
        assert np.all(np.isin(weekday[sel], open_days)), f"{m.name}: discharged on a closed weekday"
        if r.closed_on_public_holidays:
            assert not np.any(cal.public_holiday[days[sel]]), f"{m.name}: discharged on a public holiday"
        # 1e-6 h: the hour is recomputed from a float day count.
        assert np.all(hour[sel] >= r.open_hour - 1e-6) and np.all(hour[sel] < r.close_hour + 1e-6)

    # Declarations of non-initial stays fall inside the declaration window on declaring weekdays.
    h0, h1 = s.hospital.declaration_hours
    sel = declared & ~st_["initial"]
    dday = np.floor(t_decl[sel]).astype(int)
    dhour = (t_decl[sel] - dday) * 24.0
    assert np.all((dhour >= h0 - 1e-6) & (dhour < h1 + 1e-6))


# ------------------------------------------------------------------------------------------------
# 3. No patient in two places at once
# ------------------------------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(params=scenario_params, seed=seeds)
def test_no_patient_in_two_places(baseline, params, seed):
    s, rec = run(baseline, params, seed)
    st_, k = rec.stays, rec.korttid
    H = rec.horizon

    # Intervals [start, end) of every hospital stay and every korttid stay of a followed patient;
    # an unfinished stay lasts to the horizon.
    kp = k["patient"] >= 0
    pat = np.concatenate([st_["patient"], k["patient"][kp]])
    start = np.concatenate([st_["t_admitted"], k["t_start"][kp]])
    end = np.concatenate([np.where(np.isnan(st_["t_discharged"]), H, st_["t_discharged"]),
                          np.where(np.isnan(k["t_end"][kp]), H, k["t_end"][kp])])
    kind = np.concatenate([np.zeros(st_["patient"].size, int), np.ones(int(kp.sum()), int)])
    order = np.lexsort((end, start, pat))
    pat, start, end, kind = pat[order], start[order], end[order], kind[order]
    same = pat[1:] == pat[:-1]
    overlap = same & (start[1:] < end[:-1])
    assert not np.any(overlap), (
        f"patient {pat[1:][overlap][:3]} is in two places at once "
        f"(kinds {kind[:-1][overlap][:3]} -> {kind[1:][overlap][:3]})"
    )

    # Every korttid stay of a followed patient comes from hospital and starts exactly when a stay
    # of the same patient with destination korttid is discharged (the model copies env.now), and
    # every such discharge starts exactly one korttid stay.
    assert np.all(k["source"][kp] == FROM_HOSPITAL)
    assert np.all(k["patient"][k["source"] == FROM_HOSPITAL] >= 0)
    to_kt = (st_["destination"] == KORTTID) & np.isfinite(st_["t_discharged"])
    discharges = sorted(zip(st_["patient"][to_kt].tolist(), st_["t_discharged"][to_kt].tolist()))
    starts = sorted(zip(k["patient"][kp].tolist(), k["t_start"][kp].tolist()))
    assert discharges == starts
    # Nobody goes to korttid from a stay with another destination.
    other = (st_["destination"] != KORTTID) & np.isfinite(st_["t_discharged"])
    assert not set(zip(st_["patient"][other].tolist(), st_["t_discharged"][other].tolist())) & set(starts)

    # A korttid stay that ends in a readmission is followed by a stay of the same patient admitted
    # at that moment; a patient who died in korttid never comes back.
    adm = set(zip(st_["patient"].tolist(), st_["t_admitted"].tolist()))
    readm = kp & (k["end"] == END_READMISSION)
    for p, t in zip(k["patient"][readm].tolist(), k["t_end"][readm].tolist()):
        assert (p, t) in adm, f"patient {p} left korttid for hospital at {t} but no stay starts then"
    last_adm = defaultdict(lambda: -math.inf)
    for p, t in zip(st_["patient"].tolist(), st_["t_admitted"].tolist()):
        last_adm[p] = max(last_adm[p], t)
    died = kp & (k["end"] == END_DEATH)
    for p, t in zip(k["patient"][died].tolist(), k["t_end"][died].tolist()):
        assert last_adm[p] <= t, f"patient {p} was admitted after dying at {t}"


# ------------------------------------------------------------------------------------------------
# 4. Korttid occupancy never exceeds the unit's beds
# ------------------------------------------------------------------------------------------------
def max_occupancy(k: dict, n_units: int) -> np.ndarray:
    """Peak simultaneous stays per unit from the start/end events (an end at t frees the bed
    before a start at the same t takes it)."""
    peak = np.zeros(n_units, dtype=int)
    for u in range(n_units):
        sel = k["unit"] == u
        ts, te = k["t_start"][sel], k["t_end"][sel]
        te = te[np.isfinite(te)]
        times = np.concatenate([te, ts])
        delta = np.concatenate([-np.ones(te.size, int), np.ones(ts.size, int)])
        order = np.lexsort((delta, times))  # at equal times -1 sorts first
        occ = np.cumsum(delta[order])
        if occ.size:
            assert occ.min() >= 0, f"unit {u}: a stay ended before it started"
            peak[u] = occ.max()
    return peak


@PROPERTY_SETTINGS
@given(params=scenario_params, seed=seeds)
def test_korttid_occupancy_within_beds(baseline, params, seed):
    s, rec = run(baseline, params, seed)
    beds = unit_beds(s)
    k = rec.korttid
    assert k["unit"].size > 0  # korttid stays happened, so the checks below are not empty
    assert np.all((k["unit"] >= 0) & (k["unit"] < beds.size))
    peak = max_occupancy(k, beds.size)
    assert np.all(peak <= beds), f"peak occupancy {peak} exceeds beds {beds}"
    # Each stay sits in a unit of its own municipality.
    muni_of_unit = np.array([i for i, m in enumerate(s.municipalities.values()) for _ in m.korttid.units])
    assert np.array_equal(muni_of_unit[k["unit"]], k["municipality"])


# ------------------------------------------------------------------------------------------------
# 5. UKP-days = discharge date - declaration date = midnights spent as UKP, and the KPIs count them
# ------------------------------------------------------------------------------------------------
def midnights(a: float, b: float) -> int:
    """The midnights k (integer day boundaries) with a < k <= b, counted one by one."""
    return sum(1 for k in range(int(a), int(b) + 2) if a < k <= b)


@PROPERTY_SETTINGS
@given(params=scenario_params, seed=seeds)
def test_ukp_days_count_midnights(baseline, params, seed):
    s, rec = run(baseline, params, seed)
    s = dataclasses.replace(s, kpi=dataclasses.replace(s.kpi, ukp_days_by="day"))
    cal = build_calendar(s)
    df = compute_kpis(rec, s, cal)
    st_ = rec.stays
    names = list(s.municipalities)

    # Per stay: discharge date - declaration date, the count of midnights, and the wait's bounds.
    sel = np.isfinite(st_["t_declared"]) & np.isfinite(st_["t_discharged"])
    t_decl, t_dis = st_["t_declared"][sel], st_["t_discharged"][sel]
    assert t_decl.size > 0
    per_stay = np.array([midnights(a, b) for a, b in zip(t_decl.tolist(), t_dis.tolist())])
    dates = np.array([(cal.dates[int(b)] - cal.dates[int(a)]).days for a, b in zip(t_decl.tolist(), t_dis.tolist())])
    assert np.array_equal(per_stay, dates)
    wait = t_dis - t_decl
    assert np.all((per_stay >= np.floor(wait)) & (per_stay <= np.floor(wait) + 1))

    # KPI 1 by brute force: every midnight a declared patient spends in hospital is a UKP-day of
    # the day that midnight ends; a stay still waiting counts every midnight to the end of the run.
    _, start, end = period_bounds(s)
    first, last = (start - cal.origin).days, (end - cal.origin).days
    days = np.zeros((len(names), cal.n_days))
    ukp = np.isfinite(st_["t_declared"])
    for m, a, b in zip(st_["municipality"][ukp].tolist(), st_["t_declared"][ukp].tolist(),
                       st_["t_discharged"][ukp].tolist()):
        b = float(cal.n_days) if math.isnan(b) else b
        for k in range(int(a), int(b) + 2):
            if a < k <= b and first <= k - 1 < last:
                days[m, k - 1] += 1
    assert days.sum() > 0
    kpi = df[(df["kpi"] == "ukp_days")].set_index(["year", "month", "municipality"])["value"]
    year, month = cal.year, cal.month
    for y in np.unique(year[first:last]):
        in_year = (year == y)
        for mi, name in enumerate([*names, TOTAL]):
            rows = slice(None) if name == TOTAL else mi
            assert kpi[(int(y), WHOLE_YEAR, name)] == days[rows][..., in_year].sum(), (y, name)
            for mo in np.unique(month[in_year]):
                got = kpi[(int(y), int(mo), name)]
                assert got == days[rows][..., in_year & (month == mo)].sum(), (y, mo, name)

    # KPI 2 and 3 of the stays discharged in each year: 0-day share and the mean over >= 1 day.
    dis_day = np.floor(t_dis).astype(int)
    for y in np.unique(year[first:last]):
        in_p = (dis_day >= first) & (dis_day < last) & (year[np.minimum(dis_day, cal.n_days - 1)] == y)
        row = df[(df["year"] == y) & (df["month"] == WHOLE_YEAR) & (df["municipality"] == TOTAL)].set_index("kpi")["value"]
        assert row["ukp_stays"] == in_p.sum()
        if in_p.any():
            assert row["zero_day_share"] == pytest.approx(np.mean(per_stay[in_p] == 0), abs=1e-12)
        else:
            assert math.isnan(row["zero_day_share"])
        if (per_stay[in_p] > 0).any():
            assert row["mean_ukp_stay"] == pytest.approx(per_stay[in_p][per_stay[in_p] > 0].mean(), rel=1e-12)
        else:
            assert math.isnan(row["mean_ukp_stay"])

"""The SimPy model of one replication: it only simulates and appends records.

A patient who needs municipal services is admitted, treated, declared utskrivningsklar (UKP),
and then waits in the hospital bed until the municipality has decided, has a korttidsplass or a
home-service start free, and is open to receive. After a korttid stay the patient goes home, to
a long-term place (holding the korttidsplass until one frees), dies, or is readmitted; a
readmission within the window is a new stay of the same patient, who may become UKP again.
This module sets the run up and feeds it; the patients' paths are in ``paths.py``.

Speed: the feeders, the capacity schedules and every patient's path are generators run by
``Flow`` (``flow.py``), not SimPy processes: one scheduled entry per wait, no start or end events.
First admissions are drawn up front with numpy and fed in declaration order; long-term vacancies
are scheduled only while someone waits for one. The order of simultaneous events, and so every
result, is the one SimPy processes gave (see ``flow.py`` and ``paths.py`` for why).

Interventions plug in through the hooks of ``ukp_sim.interventions.base.Intervention``: the model
builds one object per enabled plug-in (registry order) and calls the hooks it overrides at the
moments they can act; it names no intervention. With none enabled, no hook is called.
"""
from __future__ import annotations

import datetime as dt
import math
from itertools import repeat
from operator import itemgetter

import numpy as np

from ukp_sim.config.scenario import Scenario
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import Intervention
from ukp_sim.sim.calendar import SimCalendar, parse_month_day
from ukp_sim.sim.calendar import period_bounds as calendar_period_bounds
from ukp_sim.sim.flow import Environment, Flow, no_cyclic_gc
from ukp_sim.sim.hospital import (
    DAYS_PER_YEAR,
    Declaration,
    background_stays,
    base_odds,
    municipality_weights,
    poisson_arrivals,
    prob_from_odds,
    tracked_rate_per_year,
)
from ukp_sim.sim.initial_state import InitialState
from ukp_sim.sim.municipality import KorttidUnit, MunicipalityState
from ukp_sim.sim.paths import PatientPaths
from ukp_sim.sim.patient import (
    N_BASE_QUANTITIES,
    U_CLOCK,
    U_KORTTID_LOS,
    U_KORTTID_OUTCOME,
    U_OFF_DAY,
    U_TREATMENT,
    Patient,
    StayDraws,
    draw_patient_attributes,
)
from ukp_sim.sim.records import Records
from ukp_sim.sim.streams import Streams


def period_bounds(s: Scenario) -> tuple[dt.date, dt.date, dt.date]:
    """(simulation origin, first day of the period, first day after the period)."""
    return calendar_period_bounds(s.period.start, s.period.years, s.period.warmup_days)


def build_calendar(s: Scenario) -> SimCalendar:
    origin, _, end = period_bounds(s)
    n_days = (end - origin).days + s.period.followup_days
    periods = tuple(
        (parse_month_day(a), parse_month_day(b))
        for a, b in (s.calendar.summer_holiday, s.calendar.christmas)
    )
    return SimCalendar.build(origin, n_days, periods, christmas=periods[1])


class Model(InitialState, PatientPaths):
    """One replication of one scenario. ``run()`` returns the finished ``Records``."""

    def __init__(self, scenario: Scenario, seed: int, replication: int):
        self.s = scenario
        self.streams = Streams(seed, replication)
        self.cal = build_calendar(scenario)
        origin, start, end = period_bounds(scenario)
        self.origin, self.period_start, self.period_end = origin, start, end
        self.horizon = float(self.cal.n_days)
        self.env = Environment()
        self.records = Records()
        self.declaration = Declaration(scenario.hospital, self.cal)
        self.munis: list[MunicipalityState] = []
        enabled = [(p, params) for p in registry.plugins()
                   if (params := getattr(scenario.interventions, p.id, None)) is not None and params.enabled]
        # Per-stay uniforms of the enabled interventions, after the base ones (drawn only when on).
        self.extra_uniforms = tuple(q for p, _ in enabled for q in p.stay_uniforms)
        uid = 0
        for i, spec in enumerate(scenario.municipalities.values()):
            m = MunicipalityState(i, spec, scenario, self.env, self.cal, self.streams, uid, self.extra_uniforms)
            uid += len(m.units)
            self.munis.append(m)
        self.n_scenario_units = self._next_uid = uid  # units added by interventions are numbered after
        self._by_calendar_off: set[int] = set()  # units whose beds an intervention opens and closes
        self.ukp_waiting = [0] * len(self.munis)  # UKP of each municipality waiting in hospital now
        # Interventions, set up in registry order (they may add units); none exists when none is on.
        self.interventions: list[Intervention] = [p(params, self) for p, params in enabled]
        self._on_declaration = self._hooks("declaration")
        self._on_bed_request = self._hooks("bed_request")
        self._on_capacity = self._hooks("unit_capacity")
        self._on_korttid_los = self._hooks("korttid_los")
        self.units = sorted((u for m in self.munis for u in m.units), key=lambda u: u.uid)
        r = scenario.readmission
        frail_share = sum(p for i, p in enumerate(scenario.patients.cfs_distribution, start=1)
                          if i >= scenario.patients.frail_cfs)
        probs = (r.probability.korttid, r.probability.home_new_services, r.probability.home_no_new_services)
        self.p_readmit = [
            (prob_from_odds(o, 1.0), prob_from_odds(o, r.frail_odds_ratio))
            for o in (base_odds(p, frail_share, r.frail_odds_ratio) for p in probs)
        ]
        self.readmit_trunc = 1.0 - math.exp(-r.window_days / r.mean_days_to_readmission)
        self.readmit_mean = r.mean_days_to_readmission
        tl = scenario.hospital.treatment_los
        self.treatment_los = (tl.robust.inverse(), tl.frail.inverse())  # by frail: False, True
        self.other_los = scenario.hospital.other_los.inverse()
        self.next_pid = 0

    def _hooks(self, name: str) -> list:
        return [getattr(iv, name) for iv in self.interventions if iv.overrides(name)]

    def intervention(self, iv_id: str) -> Intervention | None:
        """The enabled intervention with this id in this run, or None."""
        return next((iv for iv in self.interventions if iv.id == iv_id), None)

    def uniform_column(self, quantity: str) -> int:
        """Where an intervention's per-stay uniform ``quantity`` is in a stay's uniforms."""
        return N_BASE_QUANTITIES + self.extra_uniforms.index(quantity)

    # ------------------------------------------------------------------------------------------
    def run(self) -> Records:
        with no_cyclic_gc():
            return self._run()

    def _run(self) -> Records:
        s, cal, env = self.s, self.cal, self.env
        factors = cal.daily_rate_factors(s.hospital.season_profile, s.hospital.weekday_profile)
        bg_in, bg_out = background_stays(s, cal, factors, self.streams)
        self.records.background_admitted, self.records.background_discharged = bg_in, bg_out
        schedules = []
        for m in self.munis:  # beds of units open on day 0 first: the residents were already there
            units = [u for u in m.units if u.uid not in self._by_calendar_off]
            if units:
                caps = [self._unit_capacity_by_day(m, unit) for unit in units]
                if self._on_capacity:
                    self._record_added_beds(m, units, caps)
                opened = [self._unit_capacity_by_day(m, unit, holidays=False) for unit in units]
                for unit, cap in zip(units, opened):
                    m.pool.set_capacity(unit, int(cap[0]))
                schedules.append((m, units, caps))
        self._start_initial_state()
        for m, units, caps in schedules:  # then the day-0 capacity (a holiday cut evicts nobody)
            for unit, cap in zip(units, caps):
                m.pool.set_capacity(unit, int(cap[0]))
            Flow(env, self._capacity_schedule(m, units, caps)).start_urgent()
        for iv in self.interventions:
            iv.start()
        # Started like SimPy processes (URGENT events at time 0, in this order), as they always were.
        amplitude = s.hospital.needs_season_amplitude
        if amplitude != 1.0:  # older medical patients follow the season more (or less) than all admissions
            factors = cal.daily_rate_factors(s.hospital.season_profile, s.hospital.weekday_profile, amplitude)
        Flow(env, self._ukp_feeder(self._first_admissions(factors))).start_urgent()
        for m in self.munis:
            if m.spec.korttid.direct_admissions_per_year > 0:
                Flow(env, self._direct_feeder(m)).start_urgent()
        env.run(until=self.horizon)
        return self.records.finish(self.horizon)

    def _new_patient(self, m: int, attrs: dict, i: int) -> Patient:
        p = Patient(self.next_pid, m, int(attrs["cfs"][i]), bool(attrs["frail"][i]),
                    bool(attrs["new_to_services"][i]), bool(attrs["terminal"][i]), bool(attrs["delirium"][i]))
        self.next_pid += 1
        return p

    def new_unit(self, m: MunicipalityState, name: str, los, by_calendar: bool = True) -> KorttidUnit:
        """A korttid unit an intervention adds to ``m`` (no beds until its schedule opens some);
        numbered after the scenario's units so those keep their numbers. ``by_calendar=False``:
        the intervention opens and closes its beds itself (``pool.set_capacity``), the calendar
        schedule leaves it alone."""
        taken = {u.name for u in m.units}
        while name in taken:
            name += "*"
        unit = KorttidUnit(self._next_uid, name, m.name, 0, los, muni=m.index, added=True)
        self._next_uid += 1
        m.pool.on_added_change = self.records.add_bed_change
        m.pool.add_unit(unit, 0)
        if not by_calendar:
            self._by_calendar_off.add(unit.uid)
        return unit

    def _attributes(self, kind: str, m: MunicipalityState, n: int) -> dict:
        pm = self.s.patients
        return draw_patient_attributes(self.streams, kind, m.name, n, pm.cfs_distribution, pm.frail_cfs,
                                       pm.new_to_services_share, pm.terminal_share, pm.delirium_share)

    # ---- first admissions: drawn up front, fed to SimPy at their declaration -------------------
    def _admission_rate(self, m, per_day: np.ndarray, weights: dict[str, float]) -> np.ndarray:
        """Expected first admissions per day of ``m``: its share of the community's, grown by its
        ``admission_growth`` a year after the period's first year (unchanged when 0)."""
        rate = per_day * weights[m.name]
        growth = m.spec.admission_growth
        if growth:
            years_on = np.maximum(0, self.cal.year.astype(np.int64) - self.s.period.start.year)
            rate = rate * (1.0 + growth) ** years_on
        return rate

    def _first_admissions(self, factors: np.ndarray) -> list[tuple]:
        s = self.s
        weights = municipality_weights(s)
        per_day = tracked_rate_per_year(s) / DAYS_PER_YEAR * factors
        plan = []
        for m in self.munis:
            rate = self._admission_rate(m, per_day, weights)
            t_adm = poisson_arrivals(self.streams(f"admission/arrivals/{m.name}"), rate,
                                     self.streams(f"admission/arrival_clock/{m.name}"))
            n = t_adm.size
            attrs = self._attributes("admission", m, n)
            draws = StayDraws(self.streams, "admission", m.name, block=n, extra=self.extra_uniforms).take(n)
            frail, new = attrs["frail"].tolist(), attrs["new_to_services"].tolist()
            pid0 = self.next_pid
            patients = list(map(Patient, range(pid0, pid0 + n), repeat(m.index), attrs["cfs"].tolist(), frail, new,
                                attrs["terminal"].tolist(), attrs["delirium"].tolist(), repeat(1)))
            self.next_pid += n
            t_adm = t_adm.tolist()
            first_row = self.records.add_stays(list(range(pid0, pid0 + n)), [m.index] * n, frail, new, [1] * n,
                                               [False] * n, t_adm, [True] * n)
            treatment_los, declaration_time = self.treatment_los, self.declaration.time
            for i, (p, t, u) in enumerate(zip(patients, t_adm, draws)):
                los = treatment_los[p.frail](u[U_TREATMENT])
                t_decl = declaration_time(t + los, u[U_CLOCK], u[U_OFF_DAY])
                plan.append((t_decl, first_row + i, p, u))
        plan.sort(key=itemgetter(0))  # stable: equal times keep this order
        return plan

    def _ukp_feeder(self, plan: list[tuple]):
        env, horizon = self.env, self.horizon
        for t_decl, row, patient, u in plan:
            if t_decl >= horizon:
                return
            if t_decl > env.now:
                yield t_decl - env.now
            Flow(env, self._ukp_episode(patient, row, u)).start()  # now (see paths.py)

    # ---- korttid demand from home ------------------------------------------------------------
    def _direct_feeder(self, m: MunicipalityState):
        env = self.env
        rate = m.spec.korttid.direct_admissions_per_year / DAYS_PER_YEAR
        times = poisson_arrivals(self.streams(f"direct/arrivals/{m.name}"), np.full(self.cal.n_days, rate),
                                 self.streams(f"direct/arrival_clock/{m.name}"))
        draws = StayDraws(self.streams, "direct", m.name, block=max(1, times.size),
                          only=(U_KORTTID_LOS, U_KORTTID_OUTCOME)).take(times.size)
        share = m.spec.korttid.hospital_first_share
        yields = (self.streams(f"direct/yields/{m.name}").random(times.size) < share).tolist() if share > 0 \
            else [False] * times.size  # a stream of its own: 0 leaves every other draw as it was
        for t, u, y in zip(times.tolist(), draws, yields):
            yield t - env.now
            Flow(env, self._direct_stay(m, u, y)).start()  # now (see paths.py)

    # ---- calendar-driven capacity ------------------------------------------------------------
    def _unit_capacity_by_day(self, m: MunicipalityState, unit: KorttidUnit, holidays: bool = True,
                              hooks: bool = True) -> np.ndarray:
        """Beds open each day: zero before the unit opens or after it closes, and cut by the
        holiday factor (rounded half up) in the summer and Christmas periods; ``hooks=False``: as
        the scenario has them, without the interventions' ``unit_capacity``."""
        cal = self.cal
        rec = m.spec.reception
        factor = cal.holiday_factor_by_day(rec.holiday_capacity_factor, rec.christmas_capacity_factor) \
            if holidays else 1.0
        if not self._on_capacity or not hooks:
            cut = np.floor(unit.beds * np.asarray(factor) + 0.5)
            cap = np.where(cal.holiday_period, cut, unit.beds).astype(np.int64)
        else:  # extra beds, new units, no holiday closures
            beds, cut_days = unit.beds, cal.holiday_period
            for hook in self._on_capacity:
                beds, cut_days = hook(m, unit, beds, cut_days)
            beds = np.broadcast_to(np.asarray(beds, dtype=float), (cal.n_days,))
            cap = np.where(cut_days, np.floor(beds * factor + 0.5), beds).astype(np.int64)
        if unit.uid >= self.n_scenario_units:
            return cap
        spec = m.spec.korttid.units[unit.name]
        day = np.arange(cal.n_days)
        if spec.opens is not None:
            cap[day < (spec.opens - cal.origin).days] = 0
        if spec.closes is not None:
            cap[day >= (spec.closes - cal.origin).days] = 0
        return cap

    def _record_added_beds(self, m: MunicipalityState, units: list[KorttidUnit], caps: list[np.ndarray]) -> None:
        """Record the beds the interventions' schedules add to the scenario's own units (extra beds,
        holidays without closures) as changes of added beds: what they cost, like added units."""
        for unit, cap in zip(units, caps):
            if unit.added:
                continue  # an added unit's beds are recorded as its pool opens them
            extra = cap - self._unit_capacity_by_day(m, unit, hooks=False)
            for day in np.flatnonzero(np.diff(extra, prepend=0)).tolist():
                self.records.add_bed_change(m.index, float(day), int(extra[day] - (extra[day - 1] if day else 0)))

    def _capacity_schedule(self, m: MunicipalityState, units: list[KorttidUnit], caps: list[np.ndarray]):
        """Set each unit's open beds on the days they change (day 0 is set before the run)."""
        env = self.env
        changes = np.flatnonzero((np.diff(np.vstack(caps), axis=1) != 0).any(axis=0)) + 1
        for day in changes.tolist():
            yield day - env.now
            for unit, cap in zip(units, caps):
                if unit.capacity != cap[day]:
                    m.pool.set_capacity(unit, int(cap[day]))

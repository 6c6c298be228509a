"""The SimPy model of one replication: it only simulates and appends records.

A patient who needs municipal services is admitted, treated, declared utskrivningsklar (UKP),
and then waits in the hospital bed until the municipality has decided, has a korttidsplass or a
home-service start free, and is open to receive. After a korttid stay the patient goes home, to
a long-term place (holding the korttidsplass until one frees), dies, or is readmitted; a
readmission within the window is a new stay of the same patient, who may become UKP again.

Interventions plug in through the hooks of ``ukp_sim.interventions.base.Intervention``: the model
builds one object per enabled plug-in (registry order) and calls the hooks it overrides at the
moments they can act; it names no intervention. With none enabled, no hook is called.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import simpy

from ukp_sim.config.scenario import Scenario
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import INF, Episode, Intervention
from ukp_sim.sim.calendar import SimCalendar, parse_month_day
from ukp_sim.sim.calendar import period_bounds as calendar_period_bounds
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
from ukp_sim.sim.patient import (
    N_BASE_QUANTITIES,
    U_CLOCK,
    U_COMPLEX,
    U_COMPLEX_DAYS,
    U_DECISION,
    U_DESTINATION,
    U_KORTTID_LOS,
    U_KORTTID_OUTCOME,
    U_OFF_DAY,
    U_READMISSION,
    U_READMISSION_DELAY,
    U_READMISSION_NEEDS,
    U_TREATMENT,
    Patient,
    StayDraws,
    draw_patient_attributes,
)
from ukp_sim.sim.records import (
    END_DEATH,
    END_LONG_TERM,
    END_READMISSION,
    FROM_HOME,
    FROM_HOSPITAL,
    HOME_NONE,
    KORTTID,
    Records,
)
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
    return SimCalendar.build(origin, n_days, periods)


class Model(InitialState):
    """One replication of one scenario. ``run()`` returns the finished ``Records``."""

    def __init__(self, scenario: Scenario, seed: int, replication: int):
        self.s = scenario
        self.streams = Streams(seed, replication)
        self.cal = build_calendar(scenario)
        origin, start, end = period_bounds(scenario)
        self.origin, self.period_start, self.period_end = origin, start, end
        self.horizon = float(self.cal.n_days)
        self.env = simpy.Environment()
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
        s, cal, env = self.s, self.cal, self.env
        factors = cal.daily_rate_factors(s.hospital.season_profile, s.hospital.weekday_profile)
        bg_in, bg_out = background_stays(s, cal, factors, self.streams)
        self.records.background_admitted, self.records.background_discharged = bg_in, bg_out
        schedules = []
        for m in self.munis:  # beds of units open on day 0 first: the residents were already there
            units = [u for u in m.units if u.uid not in self._by_calendar_off]
            if units:
                caps = [self._unit_capacity_by_day(m, unit) for unit in units]
                opened = [self._unit_capacity_by_day(m, unit, holidays=False) for unit in units]
                for unit, cap in zip(units, opened):
                    m.pool.set_capacity(unit, int(cap[0]))
                schedules.append((m, units, caps))
        self._start_initial_state()
        for m, units, caps in schedules:  # then the day-0 capacity (a holiday cut evicts nobody)
            for unit, cap in zip(units, caps):
                m.pool.set_capacity(unit, int(cap[0]))
            env.process(self._capacity_schedule(m, units, caps))
        for iv in self.interventions:
            iv.start()
        env.process(self._ukp_feeder(self._first_admissions(factors)))
        for m in self.munis:
            if m.spec.korttid.direct_admissions_per_year > 0:
                env.process(self._direct_feeder(m))
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
        unit = KorttidUnit(self._next_uid, name, m.name, 0, los, muni=m.index)
        self._next_uid += 1
        m.pool.add_unit(unit, 0)
        if not by_calendar:
            self._by_calendar_off.add(unit.uid)
        return unit

    def _attributes(self, kind: str, m: MunicipalityState, n: int) -> dict:
        pm = self.s.patients
        return draw_patient_attributes(self.streams, kind, m.name, n, pm.cfs_distribution, pm.frail_cfs,
                                       pm.new_to_services_share, pm.terminal_share, pm.delirium_share)

    # ---- first admissions: drawn up front, fed to SimPy at their declaration -------------------
    def _first_admissions(self, factors: np.ndarray) -> list[tuple]:
        s = self.s
        weights = municipality_weights(s)
        per_day = tracked_rate_per_year(s) / DAYS_PER_YEAR * factors
        plan = []
        for m in self.munis:
            t_adm = poisson_arrivals(self.streams(f"admission/arrivals/{m.name}"), per_day * weights[m.name],
                                     self.streams(f"admission/arrival_clock/{m.name}"))
            n = t_adm.size
            attrs = self._attributes("admission", m, n)
            draws = StayDraws(self.streams, "admission", m.name, block=n, extra=self.extra_uniforms).take(n)
            patients = [self._new_patient(m.index, attrs, i) for i in range(n)]
            first_row = self.records.add_stays(
                [p.pid for p in patients], [m.index] * n, attrs["frail"].tolist(),
                attrs["new_to_services"].tolist(), [1] * n, [False] * n, t_adm.tolist(), [True] * n)
            tl = s.hospital.treatment_los
            for i, p in enumerate(patients):
                p.stays = 1
                u = draws[i]
                los = (tl.frail if p.frail else tl.robust).from_uniform(u[U_TREATMENT])
                t_decl = self.declaration.time(t_adm[i] + los, u[U_CLOCK], u[U_OFF_DAY])
                plan.append((t_decl, first_row + i, p, u))
        plan.sort(key=lambda x: x[0])
        return plan

    def _ukp_feeder(self, plan: list[tuple]):
        env, horizon = self.env, self.horizon
        for t_decl, row, patient, u in plan:
            if t_decl >= horizon:
                return
            if t_decl > env.now:
                yield env.timeout(t_decl - env.now)
            env.process(self._ukp_episode(patient, row, u))

    # ---- the UKP episode and what follows ---------------------------------------------------
    def _ukp_episode(self, patient: Patient, row: int, u: list[float], decided: bool = False):
        env = self.env
        st = self.records.stays
        m = self.munis[patient.municipality]
        t_decl = env.now
        decision = 0.0 if decided else self._planning_days(m, u)
        dest = m.destination(u[U_DESTINATION], patient.frail)
        rr, at_discharge = 1.0, None
        if self._on_declaration and not decided:
            ep = Episode(patient, st["t_admitted"][row], t_decl, u, decision, dest)
            for hook in self._on_declaration:
                hook(ep)
            decision, dest, rr, at_discharge = ep.decision, ep.destination, ep.risk_ratio, ep.at_discharge
            if ep.t_plan < INF:  # planning started before the declaration: ready at max(decl, start + planning)
                decision = max(0.0, ep.t_plan + decision - t_decl)
            st["intervention_flags"][row] = ep.flags
        st["t_declared"][row] = t_decl
        st["t_ready"][row] = t_decl + decision
        st["destination"][row] = dest
        waiting = self.ukp_waiting
        waiting[m.index] += 1
        unit = None
        if dest == HOME_NONE:
            t_out = m.reception.next_open(t_decl + decision)
        else:
            if decision > 0.0:
                yield env.timeout(decision)
            if dest == KORTTID:  # the bed may be another municipality's, which then receives the patient
                unit = yield m.pool.request(any(hook(patient) for hook in self._on_bed_request))
                t_out = self.munis[unit.muni].reception.next_open(env.now)
            else:
                t_out = m.intake.book(env.now)
        if t_out == INF:
            return  # still in hospital when the horizon ends
        if t_out > env.now:
            yield env.timeout(t_out - env.now)
        t_discharge = env.now
        st["t_discharged"][row] = t_discharge
        waiting[m.index] -= 1
        if at_discharge is not None:
            for action in at_discharge:
                action()
        delay = self._readmission_delay(patient, dest, u, rr)
        if unit is not None:
            lodging = None
            if unit.pool is not m.pool:  # the pool's policy gave another municipality's bed (or home's, if one freed)
                unit, lodging = m.pool.policy.admit(m.pool, unit, row)
            los = self._korttid_los(unit, u[U_KORTTID_LOS])
            yield from self._korttid_stay(patient, m, unit, FROM_HOSPITAL, los, u[U_KORTTID_OUTCOME],
                                          t_discharge + delay, u[U_READMISSION_NEEDS], lodging)
        elif delay < INF:
            yield env.timeout(delay)
            yield from self._readmission(patient, u[U_READMISSION_NEEDS])

    def _korttid_los(self, unit: KorttidUnit, u: float) -> float:
        """The length of a korttid stay starting now in ``unit``, from the stay's uniform."""
        los = unit.los.from_uniform(u)
        for hook in self._on_korttid_los:
            los = hook(unit, los, self.env.now)
        return los

    @staticmethod
    def _planning_days(m: MunicipalityState, u: list[float]) -> float:
        """Days from the UKP notice until the municipality has decided and planned: hours for
        most, plus days or weeks for the share whose planning is complex."""
        spec = m.spec
        days = spec.decision_hours.from_uniform(u[U_DECISION]) / 24.0
        if u[U_COMPLEX] < spec.complex_share:
            days += spec.complex_planning_days.from_uniform(u[U_COMPLEX_DAYS])
        return days

    def _readmission_delay(self, patient: Patient, dest: int, u: list[float], risk_ratio: float = 1.0) -> float:
        """Days from discharge to readmission, or infinity if the patient is not readmitted.
        ``risk_ratio`` scales the probability (interventions); the same uniform decides."""
        p = self.p_readmit[dest][patient.frail]
        if risk_ratio != 1.0:
            p *= risk_ratio
        if u[U_READMISSION] >= p:
            return INF
        mean = self.s.readmission.mean_days_to_readmission
        return -mean * math.log1p(-u[U_READMISSION_DELAY] * self.readmit_trunc)

    def _korttid_stay(self, patient: Patient | None, m: MunicipalityState, unit: KorttidUnit, source: int,
                      los: float, u_outcome: float, t_readmit: float, u_needs: float, lodging=None):
        """A korttid stay of a patient of ``m`` in ``unit`` (``m``'s own, or under bed sharing
        another's: ``lodging`` then says where the patient is when the stay ends)."""
        env, rec = self.env, self.records
        row = rec.start_korttid(patient.pid if patient else -1, unit.muni, unit.uid, source, env.now, m.index)
        if lodging is not None:
            lodging.started(row)
        end_of_stay = env.now + los
        if t_readmit < end_of_stay:
            yield env.timeout(t_readmit - env.now)
            if lodging is not None:
                unit = lodging.leave()
            unit.pool.release(unit)
            rec.end_korttid(row, env.now, END_READMISSION)
            yield from self._readmission(patient, u_needs)
            return
        yield env.timeout(los)
        outcome = m.korttid_outcome(u_outcome)
        if outcome == END_LONG_TERM:
            rec.korttid["t_long_term_request"][row] = env.now
            place = m.long_term.request()
            if t_readmit < INF:
                readmitted = env.timeout(t_readmit - env.now)
                yield place | readmitted
                if not place.triggered:
                    m.long_term.cancel(place)
                    if lodging is not None:
                        unit = lodging.leave()
                    unit.pool.release(unit)
                    rec.end_korttid(row, env.now, END_READMISSION)
                    yield from self._readmission(patient, u_needs)
                    return
            else:
                yield place
        if lodging is not None:
            unit = lodging.leave()
        unit.pool.release(unit)
        rec.end_korttid(row, env.now, outcome)
        if outcome != END_DEATH and t_readmit < INF:
            yield env.timeout(t_readmit - env.now)
            yield from self._readmission(patient, u_needs)

    def _readmission(self, patient: Patient, u_needs: float):
        """A new hospital stay of the same patient; it becomes a UKP episode if the patient needs
        municipal services again, otherwise it only occupies a bed for its length of stay."""
        env, s = self.env, self.s
        m = self.munis[patient.municipality]
        u = m.readmission_draws.next()
        patient.stays += 1
        needs = u_needs < s.readmission.needs_municipal_services
        row = self.records.add_stay(patient.pid, m.index, patient.frail, patient.new_to_services,
                                    patient.stays, False, env.now, needs)
        if not needs:
            self.records.stays["t_discharged"][row] = env.now + s.hospital.other_los.from_uniform(u[U_TREATMENT])
            return
        tl = s.hospital.treatment_los
        los = (tl.frail if patient.frail else tl.robust).from_uniform(u[U_TREATMENT])
        t_decl = self.declaration.time(env.now + los, u[U_CLOCK], u[U_OFF_DAY])
        if t_decl >= self.horizon:
            return
        yield env.timeout(t_decl - env.now)
        yield from self._ukp_episode(patient, row, u)

    # ---- korttid demand from home ------------------------------------------------------------
    def _direct_feeder(self, m: MunicipalityState):
        env = self.env
        rate = m.spec.korttid.direct_admissions_per_year / DAYS_PER_YEAR
        times = poisson_arrivals(self.streams(f"direct/arrivals/{m.name}"), np.full(self.cal.n_days, rate),
                                 self.streams(f"direct/arrival_clock/{m.name}"))
        draws = StayDraws(self.streams, "direct", m.name, block=max(1, times.size)).take(times.size)
        for t, u in zip(times.tolist(), draws):
            yield env.timeout(t - env.now)
            env.process(self._direct_stay(m, u))

    def _direct_stay(self, m: MunicipalityState, u: list[float]):
        unit = yield m.pool.request()
        los = self._korttid_los(unit, u[U_KORTTID_LOS])
        yield from self._korttid_stay(None, m, unit, FROM_HOME, los, u[U_KORTTID_OUTCOME], INF, 1.0)

    # ---- calendar-driven capacity ------------------------------------------------------------
    def _unit_capacity_by_day(self, m: MunicipalityState, unit: KorttidUnit, holidays: bool = True) -> np.ndarray:
        """Beds open each day: zero before the unit opens or after it closes, and cut by the
        holiday factor (rounded half up) in the summer and Christmas periods."""
        cal = self.cal
        factor = m.spec.reception.holiday_capacity_factor if holidays else 1.0
        if not self._on_capacity:
            cut = math.floor(unit.beds * factor + 0.5)
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

    def _capacity_schedule(self, m: MunicipalityState, units: list[KorttidUnit], caps: list[np.ndarray]):
        """Set each unit's open beds on the days they change (day 0 is set before the run)."""
        env = self.env
        changes = np.flatnonzero((np.diff(np.vstack(caps), axis=1) != 0).any(axis=0)) + 1
        for day in changes.tolist():
            yield env.timeout(day - env.now)
            for unit, cap in zip(units, caps):
                if unit.capacity != cap[day]:
                    m.pool.set_capacity(unit, int(cap[day]))

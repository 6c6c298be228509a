"""The paths of one patient through a run: the UKP episode, a korttid stay, a readmission, a
korttid admission from home. A mixin of ``Model`` (kept apart so the model module stays one
screenful of set-up and feeders); it uses the model's environment, records and municipalities.

Each path is a generator run by ``Flow`` (``ukp_sim.sim.flow``): it yields a delay in days or an
event to wait for. A bed that is free when asked for is taken at once (``KorttidPool.claim``),
with no event: the request is made at a continuous random time (declaration + planning, or a
direct admission), which no other event shares, so going on at once keeps the order of events
the same as waiting for an already-triggered request would.
"""
from __future__ import annotations

import math

from ukp_sim.interventions.base import INF, Episode
from ukp_sim.sim.flow import call_later
from ukp_sim.sim.municipality import KorttidUnit, MunicipalityState
from ukp_sim.sim.patient import (
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
)
from ukp_sim.sim.records import (
    END_DEATH,
    END_LONG_TERM,
    END_READMISSION,
    FROM_HOME,
    FROM_HOSPITAL,
    HOME_NEW,
    HOME_NONE,
    KORTTID,
)


class PatientPaths:
    """The generators of a patient's path (see the module docstring)."""

    # ---- the UKP episode and what follows ---------------------------------------------------
    def _ukp_episode(self, patient: Patient, row: int, u: list[float], decided: bool = False):
        env = self.env
        st = self.records.stays
        m = self.munis[patient.municipality]
        t_decl = env.now
        decision, after = (0.0, 0.0) if decided else self._planning_days(m, u, t_decl)
        dest = m.destination(u[U_DESTINATION], patient.frail)
        rr, at_discharge = 1.0, None
        if self._on_declaration and not decided:
            ep = Episode(patient, st["t_admitted"][row], t_decl, u, decision, dest, after)
            for hook in self._on_declaration:
                hook(ep)
            decision, dest, rr, at_discharge = ep.decision, ep.destination, ep.risk_ratio, ep.at_discharge
            after = ep.after_declaration
            if ep.t_plan < INF:  # planning started before the declaration: ready at max(decl, start + planning)
                decision = max(0.0, ep.t_plan + decision - t_decl)
            st["intervention_flags"][row] = ep.flags
        if after > 0.0:
            decision += after
        t_ready = t_decl + decision
        st["t_declared"][row] = t_decl
        st["t_ready"][row] = t_ready
        st["destination"][row] = dest
        t_open = m.reception.next_open(t_ready)  # the earliest discharge had capacity been free
        st["t_reception"][row] = t_open
        waiting = self.ukp_waiting
        waiting[m.index] += 1
        unit = None
        if dest == HOME_NONE:
            t_out = t_open
        else:
            if decision > 0.0:
                yield decision
            if dest == KORTTID:  # the bed may be another municipality's, which then receives the patient
                sharable = False
                for hook in self._on_bed_request:  # as any(...): the first True decides
                    if hook(patient):
                        sharable = True
                        break
                if decided:  # at time 0 with the set-up's other events: keep the request's event
                    unit = yield m.pool.request(sharable)
                else:
                    unit, request = m.pool.claim(sharable)
                    if unit is None:
                        if m.switch_after and m.switchable(u[U_DESTINATION], patient.frail):
                            call_later(env, m.switch_after, lambda _event: m.offer_home(request))
                        unit = yield request  # None: sent home with new services instead (offer_home)
                if unit is None:
                    dest = HOME_NEW
                    st["destination"][row] = HOME_NEW
                    t_out = m.intake.book(env.now)
                elif unit.muni == m.index and env.now == t_ready:  # own bed, free at once: as computed
                    t_out = t_open
                else:
                    t_out = self.munis[unit.muni].reception.next_open(env.now)
            else:
                t_out = m.intake.book(env.now)
        if t_out == INF:
            return  # still in hospital when the horizon ends
        if t_out > env.now:
            yield t_out - env.now
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
            yield delay
            yield from self._readmission(patient, u[U_READMISSION_NEEDS])

    def _korttid_los(self, unit: KorttidUnit, u: float) -> float:
        """The length of a korttid stay starting now in ``unit``, from the stay's uniform."""
        los = unit.los_from_uniform(u)
        hooks = self._on_korttid_los
        if hooks:
            for hook in hooks:
                los = hook(unit, los, self.env.now)
        return los

    @staticmethod
    def _planning_days(m: MunicipalityState, u: list[float], t: float) -> tuple[float, float]:
        """Days from the UKP notice at ``t`` until the municipality has decided and planned, as
        (planning that could run while the patient is still in treatment, planning that waits for
        the declaration). The decision takes hours (office hours only, if the municipality's
        office table is enabled); the share whose planning is complex (a guardian, a home
        adaptation, a particular place) adds days or weeks, of which ``complex_in_treatment_share``
        could start before the declaration (an earlier planning start shortens only that part)."""
        hours = m.decision_hours(u[U_DECISION])
        if m.office is None:
            days = hours / 24.0
        else:  # an office that never opens again before the end: the patient waits past the horizon
            days = min(m.office.finish(t, hours), m.office.n_days + 1.0) - t
        after = 0.0
        if u[U_COMPLEX] < m.complex_share:
            extra = m.complex_planning_days(u[U_COMPLEX_DAYS])
            if m.complex_in_treatment_share < 1.0:
                after = extra * (1.0 - m.complex_in_treatment_share)
                extra -= after
            days += extra
        return days, after

    def _readmission_delay(self, patient: Patient, dest: int, u: list[float], risk_ratio: float = 1.0) -> float:
        """Days from discharge to readmission, or infinity if the patient is not readmitted.
        ``risk_ratio`` scales the probability (interventions); the same uniform decides."""
        p = self.p_readmit[dest][patient.frail]
        if risk_ratio != 1.0:
            p *= risk_ratio
        if u[U_READMISSION] >= p:
            return INF
        return -self.readmit_mean * math.log1p(-u[U_READMISSION_DELAY] * self.readmit_trunc)

    def _end_korttid(self, unit: KorttidUnit, lodging, row: int, end: int) -> None:
        """A korttid stay ends now: the patient leaves the bed they are in (under bed sharing,
        wherever ``lodging`` says), the bed goes to the next in line, and the stay is recorded."""
        if lodging is not None:
            unit = lodging.leave()
        unit.pool.release(unit)
        self.records.end_korttid(row, self.env.now, end)

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
            yield t_readmit - env.now
            self._end_korttid(unit, lodging, row, END_READMISSION)
            yield from self._readmission(patient, u_needs)
            return
        yield los
        outcome = m.korttid_outcome(u_outcome)
        if outcome == END_LONG_TERM:
            rec.korttid["t_long_term_request"][row] = env.now
            place = m.long_term.request()  # a Wake: fires True when a long-term place frees for the patient
            if t_readmit < INF:
                call_later(env, t_readmit - env.now, lambda _event: place.fire(False))
                if not (yield place):  # readmitted first
                    m.long_term.cancel(place)
                    self._end_korttid(unit, lodging, row, END_READMISSION)
                    yield from self._readmission(patient, u_needs)
                    return
            else:
                yield place
        self._end_korttid(unit, lodging, row, outcome)
        if outcome != END_DEATH and t_readmit < INF:
            yield t_readmit - env.now
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
            self.records.stays["t_discharged"][row] = env.now + self.other_los(u[U_TREATMENT])
            return
        los = self.treatment_los[patient.frail](u[U_TREATMENT])
        t_decl = self.declaration.time(env.now + los, u[U_CLOCK], u[U_OFF_DAY])
        if t_decl >= self.horizon:
            return
        yield t_decl - env.now
        yield from self._ukp_episode(patient, row, u)

    # ---- korttid demand from home ------------------------------------------------------------
    def _direct_stay(self, m: MunicipalityState, u: list[float], yields: bool = False):
        unit, request = m.pool.claim(yields=yields)
        if unit is None:
            unit = yield request
        los = self._korttid_los(unit, u[U_KORTTID_LOS])
        yield from self._korttid_stay(None, m, unit, FROM_HOME, los, u[U_KORTTID_OUTCOME], INF, 1.0)


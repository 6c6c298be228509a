"""What a municipality offers a discharge-ready patient, and when.

* ``Reception``: the hours and days the municipality receives patients (weekdays, public
  holidays), precomputed per day so finding the next opening is a couple of array look-ups.
* ``HomeIntake``: how many new home-service patients it can start per reception day. Patients
  book the first day with a free slot in the order their decisions become ready (FIFO), so no
  SimPy resource is needed: booking is arithmetic on a per-day counter, and full days are
  skipped by pointers (no day-by-day scan).
* ``KorttidPool``: the municipality's short-term units and one FIFO queue for them, in which
  applicants from home who yield (``Korttid.hospital_first_share``) let patients from hospital
  go first. Beds are held
  until the stay ends (blocking after service: a patient waiting for a long-term place keeps the
  bed). Capacity may change during the run (holiday closures, opening dates, escalation beds).
  What the pool cannot serve from its own beds it hands to its ``PoolPolicy``, if an
  intervention attached one (bed sharing lends and borrows beds between pools this way), through
  public methods only: ``free_unit``, ``occupy``, ``release``, ``waiting_requests``,
  ``take_request``, ``open_beds``.
* ``LongTermQueue``: long-term places free up as a Poisson stream; a vacancy nobody in korttid is
  waiting for goes to someone waiting at home (outside the model), so only the vacancies that
  come while someone waits are scheduled.
* ``MunicipalityState``: one municipality's live resources in a run, and what an intervention
  may change of them before the run (reception every day, more home-service intake).
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import simpy

from ukp_sim.base.distributions import Dist
from ukp_sim.config.scenario import Municipality, Scenario
from ukp_sim.interventions.base import PoolPolicy
from ukp_sim.sim.calendar import SimCalendar
from ukp_sim.sim.flow import Wake
from ukp_sim.sim.hospital import DAYS_PER_YEAR, base_odds, poisson_arrivals, prob_from_odds
from ukp_sim.sim.opening_hours import OfficeHours, Reception
from ukp_sim.sim.patient import StayDraws
from ukp_sim.sim.records import END_DEATH, END_HOME, END_LONG_TERM, HOME_NEW, HOME_NONE, KORTTID
from ukp_sim.sim.streams import Streams

INF = math.inf


class HomeIntake:
    """Daily intake slots for new home-service patients, booked first come first served."""

    def __init__(self, per_day: float, holiday_factor: float | np.ndarray, reception: Reception, cal: SimCalendar,
                 extra_per_day: np.ndarray | None = None):
        if extra_per_day is not None:  # capacity what-if: more starts per day from a date
            per_day = per_day + extra_per_day
        rate = np.where(cal.holiday_period, per_day * holiday_factor, per_day)
        rate = np.where(reception.is_open, rate, 0.0)
        # Whole slots per day whose running total tracks the (possibly fractional) rate.
        cum = np.floor(np.cumsum(rate) + 1e-9)
        self.capacity = np.diff(np.concatenate(([0.0], cum))).astype(np.int64).tolist()
        self.used = [0] * cal.n_days
        self.reception = reception
        # A day with a free slot is its own pointer; a full (or closed) one points further on.
        # Pointers only move forward and are shortened on the way (path compression).
        day = np.arange(cal.n_days)
        self._next = np.where(np.asarray(reception.is_open) & (np.asarray(self.capacity) > 0), day, day + 1).tolist()

    def _free(self, d: int) -> bool:
        return self.reception.is_open[d] and self.used[d] < self.capacity[d]

    def _first_free(self, d: int) -> int:
        """The first day >= d with a free slot (n_days if none)."""
        nxt, n = self._next, len(self._next)
        first = d
        while first < n and nxt[first] != first:
            first = nxt[first]
        while d < n and nxt[d] != first:  # compress the path just walked
            nxt[d], d = first, nxt[d]
        return first

    def _slot(self, t: float) -> tuple[int, float]:
        """The day of the first free slot at or after ``t`` and the time the patient would leave
        then (-1 and infinity if none is left in the horizon)."""
        r = self.reception
        d = int(t)
        if d >= r.n_days:
            return -1, INF
        if not (t < d + r.close_at and self._free(d)):
            d = self._first_free(d + 1)
            if d >= r.n_days:
                return -1, INF
            t = float(d)
        return d, max(t, d + r.open_at)

    def peek(self, t: float) -> float:
        """When ``book(t)`` would let the patient leave, without booking."""
        return self._slot(t)[1]

    def book(self, t: float) -> float:
        """Reserve the first free slot at or after ``t``; returns the time the patient leaves
        hospital (inside reception hours), or infinity if none is left in the horizon. On the
        first day the slot counts only before the reception closes."""
        d, t_out = self._slot(t)
        if d < 0:
            return INF
        self.used[d] += 1
        if self.used[d] >= self.capacity[d]:
            self._next[d] = d + 1
        return t_out


@dataclass
class KorttidUnit:
    """One short-term unit (Øya helsehus, say): its beds now and its length-of-stay law."""

    uid: int  # index over all units of the run
    name: str
    municipality: str
    beds: int
    los: Dist
    capacity: int = 0
    occupied: int = 0
    muni: int = -1  # index of the municipality whose unit it is
    pool: "KorttidPool | None" = None  # the pool the unit belongs to
    added: bool = False  # added by an intervention (its open beds are recorded: what they cost)
    los_from_uniform: Callable[[float], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # ``los.from_uniform`` with the family chosen once (a unit built without a law has none)
        self.los_from_uniform = self.los.inverse() if self.los is not None else None


class BedRequest(simpy.Event):
    """A request for a korttidsplass; fires with the unit once a bed is assigned to the caller.
    A pool policy reads when it was made and whether the patient may take another pool's bed."""

    __slots__ = ("sharable", "t_request", "yields")

    def __init__(self, env: simpy.Environment, sharable: bool, t_request: float, yields: bool = False):
        super().__init__(env)
        self.sharable = sharable
        self.t_request = t_request
        self.yields = yields  # an applicant from home who lets patients from hospital go first


class KorttidPool:
    """A municipality's short-term units, filled in listed order, with one FIFO queue.

    ``waiting`` (requests queued) and the open beds are kept as counts, not recounted: a pool
    policy asks for them of every pool each time a bed frees. So the queue and the units'
    capacities change through the pool's methods only."""

    def __init__(self, env: simpy.Environment, units: list[KorttidUnit]):
        self.env = env
        self.units = units
        for u in units:
            u.capacity = u.beds
            u.pool = self
        self._open = sum(u.capacity for u in units)
        self.queue: deque[BedRequest] = deque()
        self.waiting = 0  # len(queue)
        self.yielding = 0  # requests in the queue that let the others go first
        self.policy: PoolPolicy | None = None  # set by attach_policy
        self.on_added_change: Callable[[int, float, int], None] | None = None  # (muni, t, change) of added units

    def attach_policy(self, policy: PoolPolicy) -> None:
        """Let ``policy`` serve what the pool's own beds cannot (one policy per pool)."""
        if self.policy is not None:
            raise ValueError("this korttid pool already has a policy")
        self.policy = policy

    def add_unit(self, unit: KorttidUnit, capacity: int = 0) -> None:
        """A unit added by an intervention; it is filled after the scenario's own units."""
        unit.capacity = capacity
        unit.pool = self
        self.units.append(unit)
        self._open += capacity
        self._note(unit, capacity)

    def free_unit(self) -> KorttidUnit | None:
        """The first unit (in fill order) with a free open bed, or None."""
        for u in self.units:
            if u.occupied < u.capacity:
                return u
        return None

    def occupy(self, unit: KorttidUnit) -> None:
        """Take a bed of ``unit`` (one of this pool's, found by ``free_unit``) outside the queue."""
        unit.occupied += 1

    def open_beds(self) -> int:
        return self._open

    def waiting_requests(self):
        """The requests waiting in the queue, first come first."""
        return iter(self.queue)

    def take_request(self, request: BedRequest) -> None:
        """Remove a waiting request (a policy then assigns it a bed elsewhere)."""
        self.queue.remove(request)
        self.waiting -= 1
        self.yielding -= request.yields

    def request(self, sharable: bool = False) -> BedRequest:
        """A request that fires with the unit once a bed is assigned to the caller. With no free
        bed at home a ``sharable`` request may get another pool's unit from the pool's policy."""
        unit, ev = self.claim(sharable)
        if unit is not None:
            if ev is None:
                ev = BedRequest(self.env, sharable, self.env.now)
            ev.succeed(unit)
        return ev

    def claim(self, sharable: bool = False, yields: bool = False) -> tuple[KorttidUnit | None, BedRequest | None]:
        """``request`` without an event when a bed is free now: (the unit, taken for the caller,
        and the request the policy saw or None), or (None, the queued request). A ``yields``
        request is served after every request queued that does not yield, whenever it came."""
        if self.waiting == self.yielding:  # nobody queued ahead of the caller
            for unit in self.units:
                if unit.occupied < unit.capacity:
                    unit.occupied += 1
                    return unit, None
        ev = BedRequest(self.env, sharable, self.env.now, yields)
        if sharable and self.policy is not None:
            unit = self.policy.outside_bed(self, ev)
            if unit is not None:
                return unit, ev
        self.queue.append(ev)
        self.waiting += 1
        self.yielding += yields
        return None, ev

    def release(self, unit: KorttidUnit) -> None:
        unit.occupied -= 1
        self._serve()

    def set_capacity(self, unit: KorttidUnit, capacity: int) -> None:
        """Open or close beds; closing never evicts, it only stops new admissions."""
        capacity = max(0, capacity)
        self._open += capacity - unit.capacity
        self._note(unit, capacity - unit.capacity)
        unit.capacity = capacity
        self._serve()

    def _note(self, unit: KorttidUnit, change: int) -> None:
        if unit.added and change and self.on_added_change is not None:
            self.on_added_change(unit.muni, self.env.now, change)

    def _serve(self) -> None:
        while self.queue:
            unit = self.free_unit()
            if unit is None:
                return
            unit.occupied += 1
            self._next_request().succeed(unit)
        if self.policy is not None:  # own queue served: the policy may serve others
            self.policy.after_serve(self)

    def _next_request(self) -> BedRequest:
        """Take the request to serve: the first that does not yield, else the first."""
        self.waiting -= 1
        if 0 < self.yielding <= self.waiting:  # some yield, some do not
            for request in self.queue:
                if not request.yields:
                    self.queue.remove(request)
                    return request
        request = self.queue.popleft()
        self.yielding -= request.yields
        return request


class LongTermQueue:
    """Long-term places freeing up as a Poisson stream, given FIFO to korttid patients waiting.

    A vacancy that frees while nobody in korttid waits goes to someone waiting at home (outside
    the model), so only the next vacancy after the first patient joins the queue is scheduled,
    and the one after it while patients still wait. A patient who leaves the queue (readmitted
    to hospital) gives up their place, so the next vacancy goes to the next in line.

    The vacancies come at the times a chain of timeouts from time 0 reaches (each ``now +
    (t - now)`` from the one before, as a process stepping through them gets), computed here and
    scheduled exactly (``Environment.call_at``).
    """

    def __init__(self, env, vacancy_times: np.ndarray):
        self.env = env
        self.queue: deque[Wake] = deque()
        now, times = 0, []
        for t in np.sort(np.asarray(vacancy_times, dtype=float)).tolist():
            now = now + (t - now)
            times.append(now)
        self.times = times
        self._next = 0  # index of the first vacancy not yet come
        self._scheduled = False  # is the vacancy times[_next] in the schedule?

    def request(self) -> Wake:
        """Join the queue; the wake fires with True when a place is the caller's."""
        wake = Wake()
        self.queue.append(wake)
        if not self._scheduled:
            self._next = bisect_right(self.times, self.env.now, self._next)  # those gone went home
            self._schedule()
        return wake

    def cancel(self, wake: Wake) -> None:
        try:
            self.queue.remove(wake)
        except ValueError:
            pass

    def _schedule(self) -> None:
        if self._next < len(self.times):
            self._scheduled = True
            self.env.call_at(self.times[self._next], self._vacancy)

    def _vacancy(self, _event) -> None:
        self._scheduled = False
        self._next += 1
        if self.queue:
            self.queue.popleft().fire(True)
        if self.queue and not self._scheduled:
            self._schedule()

    @property
    def waiting(self) -> int:
        return len(self.queue)


class MunicipalityState:
    """One municipality's live resources and its precomputed choice thresholds."""

    def __init__(self, index: int, spec: Municipality, s: Scenario, env: simpy.Environment,
                 cal: SimCalendar, streams: Streams, first_uid: int, extra_uniforms: tuple[str, ...] = ()):
        self.index = index
        self.name = spec.name
        self.spec = spec
        self.cal = cal
        self.reception = Reception(spec.reception, cal)
        self.office = OfficeHours(spec.office, cal) if spec.office.enabled else None  # None: around the clock
        self.extra_intake: np.ndarray | None = None
        self.intake = HomeIntake(spec.home_service_intake_per_day, self._holiday_factor(), self.reception, cal)
        self.units = [
            KorttidUnit(first_uid + i, uname, spec.name, u.beds, u.los or spec.korttid.los, muni=index)
            for i, (uname, u) in enumerate(spec.korttid.units.items())
        ]
        self.pool = KorttidPool(env, self.units)
        rate = spec.long_term_vacancies_per_year / DAYS_PER_YEAR
        vac = poisson_arrivals(streams(f"long_term/vacancies/{spec.name}"), np.full(cal.n_days, rate),
                               streams(f"long_term/vacancy_clock/{spec.name}"))
        self.long_term = LongTermQueue(env, vac)
        # Destination thresholds: the stated mix is the mean over the frailty mix.
        frail_share = sum(p for i, p in enumerate(s.patients.cfs_distribution, start=1) if i >= s.patients.frail_cfs)
        d = spec.destination
        odds = base_odds(d.korttid, frail_share, s.patients.frail_korttid_odds_ratio)
        home = d.home_new_services + d.home_no_new_services
        new_ratio = d.home_new_services / home if home > 0 else 0.0
        self.p_korttid = (prob_from_odds(odds, 1.0), prob_from_odds(odds, s.patients.frail_korttid_odds_ratio))
        k = spec.korttid  # destination switching under congestion (off unless both are set)
        on = k.switch_home_after_days > 0 and k.switch_home_share > 0
        self.switch_after = k.switch_home_after_days if on else 0.0
        self.switch_share = k.switch_home_share
        self.home_new_ratio = new_ratio
        o = spec.korttid.outcomes
        self.outcome_cuts = (o.home, o.home + o.long_term)
        # What planning takes (hours to decide, days if complex), families chosen once.
        self.decision_hours = spec.decision_hours.inverse()
        self.complex_share = spec.complex_share
        self.complex_in_treatment_share = spec.complex_in_treatment_share
        self.complex_planning_days = spec.complex_planning_days.inverse()
        self.admission_draws = None  # set by the model
        self.readmission_draws = StayDraws(streams, "readmission", spec.name, extra=extra_uniforms)

    # ---- what an intervention may change before the run (it builds no object itself) ----------
    def receive_every_day(self, from_day: int) -> None:
        """Receive patients every day from ``from_day``, weekends and public holidays included
        (same hours), with home-service intake slots on those days too."""
        self.reception = Reception(self.spec.reception, self.cal, every_day_from=from_day)
        self._rebuild_intake()

    def add_home_intake(self, extra_per_day: np.ndarray) -> None:
        """More home-service starts per reception day (one value per day)."""
        self.extra_intake = extra_per_day if self.extra_intake is None else self.extra_intake + extra_per_day
        self._rebuild_intake()

    def _rebuild_intake(self) -> None:
        self.intake = HomeIntake(self.spec.home_service_intake_per_day, self._holiday_factor(), self.reception,
                                 self.cal, extra_per_day=self.extra_intake)

    def _holiday_factor(self) -> float | np.ndarray:
        """Share of home-service intake open on each day (the summer's, or Christmas's own if given)."""
        rec = self.spec.reception
        return self.cal.holiday_factor_by_day(rec.holiday_capacity_factor, rec.christmas_capacity_factor)

    def switchable(self, u_destination: float, frail: bool) -> bool:
        """Whether a korttid-bound patient may be sent home instead after waiting for a bed: the
        destination's uniform, rescaled to the korttid share, falls below ``switch_home_share``."""
        return u_destination < self.switch_share * self.p_korttid[frail]

    def offer_home(self, request) -> None:
        """After ``switch_home_after_days`` in the queue: if the request still waits and a home-service
        start is free on the next reception day, withdraw it and resume its patient with None
        (home with new services). Otherwise the patient keeps waiting for the bed."""
        if request.triggered:
            return
        now = self.pool.env.now
        t_open, t_home = self.reception.next_open(now), self.intake.peek(now)
        if t_open == INF or t_home == INF or int(t_home) != int(t_open):
            return
        self.pool.take_request(request)
        request.succeed(None)

    def destination(self, u: float, frail: bool) -> int:
        pk = self.p_korttid[frail]
        if u < pk:
            return KORTTID
        return HOME_NEW if u < pk + (1.0 - pk) * self.home_new_ratio else HOME_NONE

    def korttid_outcome(self, u: float) -> int:
        if u < self.outcome_cuts[0]:
            return END_HOME
        return END_LONG_TERM if u < self.outcome_cuts[1] else END_DEATH

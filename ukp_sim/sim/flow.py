"""A patient's path as a plain generator, resumed by bare scheduled callbacks instead of a SimPy
process.

A ``simpy.Process`` costs two events beyond the waits themselves (its initialisation and its
termination) plus a ``Timeout`` object per wait; a replication starts one per UKP episode and per
korttid stay, and nothing ever waits for those processes to end. ``Flow`` runs the same kind of
generator with one heap entry per wait and no other event:

* ``yield delay`` (days, a number): resume after ``delay``; scheduled exactly as
  ``env.timeout(delay)`` would be (``env.schedule`` at ``now + delay``, NORMAL priority), so the
  order of simultaneous events is the one a ``Timeout`` gives;
* ``yield event`` (a SimPy event, or a ``Wake``): resume with its value once it is processed (a
  ``Wake``: once it fires).

``start()`` runs the generator now, in the caller's step (no initialisation event: used where the
caller acts at a time nothing else can share, a continuous random time); ``start_urgent()``
schedules the first step as ``env.process`` does (URGENT, now), for the processes set up before
the run, whose order at time 0 matters.

``Environment`` adds ``call_at``: a callback at an exact time. A time reached by a chain of
timeouts (``now + (t - now)`` from each previous event) can differ in the last bit from ``t``,
and some times cannot be reached from a given ``now`` by any delay; ``call_at`` schedules the
time computed beforehand, so a chain can be replaced by one entry (long-term vacancies).
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from heapq import heappop, heappush

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority


@contextmanager
def no_cyclic_gc():
    """Pause Python's cyclic garbage collector (reference counting still frees everything).

    A replication allocates some 150,000 objects that live until it ends (records, rows of
    uniforms, patients) and makes almost no reference cycles, so the collector would walk the
    growing heap dozens of times for nothing (about 5 % of a run). It is switched back on (if it
    was on) when the block ends, and then collects whatever cycles there were."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Call:
    """A bare scheduled callback: what ``Environment.step`` needs of an event and nothing more."""

    __slots__ = ("callbacks",)
    _ok = True
    _value = None

    def __init__(self, fn):
        self.callbacks = [fn]


def call_later(env, delay: float, fn) -> None:
    """Call ``fn(event)`` after ``delay``, ordered like ``env.timeout(delay)`` made now."""
    env.schedule(Call(fn), NORMAL, delay)


class Environment(simpy.Environment):
    """``simpy.Environment`` with ``call_at``, and ``now`` a plain attribute that ``step`` sets
    with ``_now`` (SimPy's is a property; a replication reads it some 70,000 times). The same
    steps in the same order otherwise: ``step`` is SimPy 4's."""

    now = 0  # shadows the property; the instance's value is set in __init__ and by step

    def __init__(self, initial_time=0):
        super().__init__(initial_time)
        self.now = self._now

    def step(self) -> None:
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

    def call_at(self, t: float, fn) -> None:
        """Call ``fn(event)`` at exactly ``t`` (>= now), NORMAL priority, after what is already
        scheduled for ``t``. Writes the schedule's entry as ``schedule`` does, with the time
        given instead of ``now + delay`` (simpy 4: ``_queue``, ``_eid``)."""
        if t < self._now:
            raise ValueError(f"call_at({t}) is before now ({self._now})")
        heappush(self._queue, (t, NORMAL, next(self._eid), Call(fn)))


class Wake:
    """A one-shot wake-up with no event in the schedule: the first ``fire(value)`` calls what
    waits on it, at once; later calls do nothing (the first of two causes wins)."""

    __slots__ = ("callbacks", "_value")

    def __init__(self):
        self.callbacks = []
        self._value = None

    def fire(self, value) -> None:
        callbacks = self.callbacks
        if callbacks is None:
            return
        self.callbacks = None
        self._value = value
        for callback in callbacks:
            callback(self)


class Flow:
    """Runs one generator (see the module docstring for what it may yield).

    A flow waits for one thing at a time, so for a delay it puts itself in the schedule as the
    event (``Environment.step`` reads ``callbacks`` and ``_ok``), with no object per wait."""

    __slots__ = ("env", "gen", "callbacks", "_on_time")
    _ok = True
    _value = None

    def __init__(self, env, gen):
        self.env = env
        self.gen = gen
        self.callbacks = None
        self._on_time = (self._resume,)  # its callbacks whenever it is in the schedule

    def start(self) -> None:
        self._resume(self)

    def start_urgent(self) -> None:
        self.callbacks = self._on_time
        self.env.schedule(self, URGENT)

    def _resume(self, event) -> None:
        """Send the generator ``event``'s value (None for a delay) and schedule what it yields."""
        value = event._value
        gen = self.gen
        while True:
            try:
                target = gen.send(value)
            except StopIteration:
                self._on_time = None  # the flow and its bound method referred to each other
                return
            if isinstance(target, (float, int)):  # a delay: as env.schedule(self, NORMAL, target) would
                if target < 0:
                    raise ValueError(f"negative delay {target}")
                env = self.env
                self.callbacks = self._on_time
                heappush(env._queue, (env._now + target, NORMAL, next(env._eid), self))
                return
            callbacks = target.callbacks
            if callbacks is not None:
                callbacks.append(self._resume)
                return
            value = target._value  # already processed: go on at once, as a SimPy process does

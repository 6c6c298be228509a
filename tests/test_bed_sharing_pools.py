"""Bed sharing on a few korttid pools driven by hand: the agreement's rules, exactly.

Found by mutation testing of ``ukp_sim/interventions`` (tests/mutation/mutmut_interventions.sh):
miscounting the beds outsiders hold, lending before the start, choosing the wrong pool or the
wrong patient, and patients not moving home all survived the tests that run whole scenarios.

The pools and units are the model's own (``KorttidPool``, ``KorttidUnit``); the ``Patient`` below
takes the steps the model takes for a sharable UKP patient: ask its pool for a bed, leave
hospital for the bed it got (``admit`` when it is another pool's), leave korttid. Pool ``Mi`` has
one unit (uid ``i``); the agreement starts on day 5 unless a test says otherwise.
"""
from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
import simpy

from ukp_sim.interventions import bed_sharing
from ukp_sim.interventions.bed_sharing import FLAG_SHARED_BED, BedSharing
from ukp_sim.sim.municipality import KorttidPool, KorttidUnit

ORIGIN = dt.date(2024, 1, 1)


class Records:
    """What the agreement writes to the records: flags and moves."""

    def __init__(self):
        self.flags: dict[int, int] = {}
        self.moved: list[tuple[int, float, int]] = []

    def add_flags(self, row: int, bits: int) -> None:
        self.flags[row] = self.flags.get(row, 0) | bits

    def move_korttid(self, row: int, t: float, uid: int) -> None:
        self.moved.append((row, t, uid))


def agreement(beds: list[int], start: float = 5.0, **params):
    """Pools M0, M1, ... with these beds under an agreement starting on day ``start``."""
    env = simpy.Environment()
    munis = [SimpleNamespace(index=i, name=f"M{i}", pool=KorttidPool(env, [KorttidUnit(i, "korttid", f"M{i}", b, None,
                                                                                       muni=i)]))
             for i, b in enumerate(beds)]
    model = SimpleNamespace(env=env, records=Records(), cal=SimpleNamespace(origin=ORIGIN), munis=munis, horizon=1000.0)
    sharing = bed_sharing.Plugin(BedSharing(enabled=True, start=ORIGIN + dt.timedelta(days=start), **params), model)
    sharing.start()
    return sharing, [m.pool for m in munis]


_rows = itertools.count()


class Patient:
    """A UKP patient of pool ``home`` asking for a korttidsplass now."""

    everyone: list["Patient"] = []

    def __init__(self, home: KorttidPool, sharable: bool = True):
        self.home = home
        self.req = home.request(sharable)
        self.row = next(_rows)
        self.unit = self.lodging = None
        self.left = False
        Patient.everyone.append(self)

    @property
    def bed(self):
        """The unit the patient holds (or was given) now, or None."""
        if self.left or not self.req.triggered:
            return None
        if self.lodging is not None:
            return self.lodging.unit
        return self.unit or self.req.value

    def discharge(self) -> None:
        """Leave hospital for the bed given (the model's steps)."""
        unit = self.req.value
        if unit.pool is not self.home:
            unit, self.lodging = self.home.policy.admit(self.home, unit, self.row)
            if self.lodging is not None:
                self.lodging.started(self.row)
        self.unit = unit

    def leave(self) -> None:
        unit = self.lodging.leave() if self.lodging is not None else self.unit
        self.left = True
        unit.pool.release(unit)


@pytest.fixture(autouse=True)
def _fresh_patients():
    Patient.everyone = []


def held_by_outsiders(pool: KorttidPool) -> int:
    """Counted from the patients, not from the agreement's own bookkeeping."""
    return sum(1 for p in Patient.everyone if p.bed is not None and p.bed.pool is pool and p.home is not pool)


def run(sharing, until: float) -> None:
    sharing.env.run(until=until)


# ------------------------------------------------------------------------------------------------
def test_offered_beds_are_the_share_of_open_beds_rounded_down_and_ramped():
    sharing, pools = agreement([2, 100, 10], ramp_up_days=10, offered_share=0.29, offered_share_by={"M2": 0.5})
    m1, m2 = sharing.member(pools[1]), sharing.member(pools[2])
    assert (sharing.offered(m1), sharing.offered(m2)) == (0, 0)  # before the start
    run(sharing, 10.0)  # half way: 0.29 x 0.5 x 100 = 14.5
    assert (sharing.offered(m1), sharing.offered(m2)) == (14, 2)
    run(sharing, 20.0)  # 0.29 x 100 is 28.999999999999996 in floating point: still 29 beds
    assert (sharing.offered(m1), sharing.offered(m2)) == (29, 5)
    pools[1].set_capacity(pools[1].units[0], 50)  # of the beds open now
    assert sharing.offered(m1) == 14


def test_lends_only_from_the_start_within_the_share_from_the_pool_with_most_room():
    sharing, (m0, m1, m2, m3) = agreement([1, 10, 20, 10], offered_share=0.1)  # offered: 1, 2, 1
    own = Patient(m0)
    assert own.bed.pool is m0
    early = Patient(m0)  # day 0: no bed at home, no lending yet
    assert early.bed is None and m0.waiting == 1
    run(sharing, 5.0 + 1e-9)  # at the start the pools lend to those waiting, in scenario order
    assert early.bed.pool is m1
    lenders = []
    for _ in range(4):  # a new request: the pool with most room left (M1 0, M2 2, M3 1), the first on a tie
        p = Patient(m0)
        lenders.append(p.bed.pool if p.bed is not None else None)
    assert lenders == [m2, m2, m3, None]
    for pool, offered in ((m1, 1), (m2, 2), (m3, 1)):
        assert held_by_outsiders(pool) == sharing.member(pool).outsiders == offered
    assert m0.waiting == 1 and held_by_outsiders(m0) == 0


def test_lends_from_the_first_moment_of_the_start_day():
    sharing, (m0, m1) = agreement([0, 10], start=0.0, offered_share=0.1)
    assert Patient(m0).bed.pool is m1


def test_a_pool_whose_own_patients_wait_does_not_lend():
    sharing, (m0, m1) = agreement([0, 2], start=0.0, offered_share=1.0)
    a, b, c = Patient(m1), Patient(m1), Patient(m1)  # M1 full, c waits at home
    outsider = Patient(m0)
    assert c.bed is None and outsider.bed is None
    for p in (a, b):
        p.discharge()
    a.leave()  # the freed bed goes to M1's own waiting patient
    assert c.bed.pool is m1 and outsider.bed is None
    b.leave()  # now M1 has no one waiting: it lends
    assert outsider.bed.pool is m1 and sharing.member(m1).outsiders == 1


def test_a_freed_bed_goes_to_the_longest_waiting_outsider_first_pool_on_a_tie():
    """The lender is the first pool (M0). Ties (initial-state requests are all made at t = 0)
    go to the first municipality in scenario order: results depend on it."""
    sharing, (m0, m1, m2) = agreement([1, 0, 0], start=0.0, offered_share=1.0)
    mine = Patient(m0)
    run(sharing, 1.0)
    Patient(m2, sharable=False)  # waits for a bed at home only
    late = Patient(m2)
    run(sharing, 2.0)
    first = Patient(m1)
    assert late.req.t_request == 1.0 and first.req.t_request == 2.0
    mine.discharge()
    mine.leave()
    assert late.bed is m0.units[0] and first.bed is None and m2.waiting == 1
    # A tie: both ask at the same moment; M1 comes first.
    sharing, (m0, m1, m2) = agreement([1, 0, 0], start=0.0, offered_share=1.0)
    mine = Patient(m0)
    b, a = Patient(m2), Patient(m1)
    mine.discharge()
    mine.leave()
    assert a.bed is m0.units[0] and b.bed is None


def test_a_lodged_patient_moves_home_when_a_bed_frees_there_before_any_outsider():
    sharing, (m0, m1, m2) = agreement([2, 5, 0], start=0.0, offered_share=0.2,
                                      offered_share_by={"M0": 0.5})  # M0 lends 1, M1 lends 1
    own, own2 = Patient(m0), Patient(m0)
    lodged = Patient(m0)  # M0 full: a bed in M1
    assert lodged.bed.pool is m1
    for p in (own, own2, lodged):
        p.discharge()
    assert sharing.records.flags == {lodged.row: FLAG_SHARED_BED} and lodged.lodging.pending
    run(sharing, 3.0)
    waiting = Patient(m2)  # no room: M0's bed is taken, M1 lent its one
    assert waiting.bed is None
    run(sharing, 4.0)
    own.leave()  # M0's bed frees: its own patient comes home from M1 (M2's is not lent M0's bed) ...
    assert lodged.bed is m0.units[0]
    assert sharing.records.moved == [(lodged.row, 4.0, m0.units[0].uid)] and sharing.moves == 1
    assert not lodged.lodging.pending and not sharing.member(m0).move_backs
    assert waiting.bed is m1.units[0]  # ... and M1 lends the bed it got back
    for pool in (m0, m1, m2):
        assert sharing.member(pool).outsiders == held_by_outsiders(pool), pool
    assert sharing.member(m1).outsiders == 1 and sharing.member(m0).outsiders == 0
    lodged.leave()  # leaves from home: nobody's outsider
    assert m0.units[0].occupied == 1 and sharing.member(m0).outsiders == 0 and sharing.member(m1).outsiders == 1


def test_every_move_home_is_counted():
    sharing, (m0, m1) = agreement([2, 4], start=0.0, offered_share=1.0)
    own = [Patient(m0), Patient(m0)]
    lodged = [Patient(m0), Patient(m0)]
    for p in own + lodged:
        p.discharge()
    assert [p.bed.pool for p in lodged] == [m1, m1]
    own[0].leave()
    own[1].leave()
    assert [p.bed.pool for p in lodged] == [m0, m0]  # in the order they were lodged
    assert sharing.moves == 2 and [r for r, _, _ in sharing.records.moved] == [p.row for p in lodged]


def test_a_lodged_patient_who_leaves_frees_the_lenders_bed_and_stops_waiting_to_move():
    sharing, (m0, m1, m2) = agreement([1, 2, 0], start=0.0, offered_share=0.5)  # M1 lends 1
    own, lodged = Patient(m0), Patient(m0)
    own.discharge()
    lodged.discharge()
    assert lodged.bed.pool is m1 and sharing.member(m1).outsiders == 1
    waiting = Patient(m2)  # M1's one offered bed is taken
    assert waiting.bed is None
    lodged.leave()  # M1 lends the bed again at once
    assert waiting.bed.pool is m1 and sharing.member(m1).outsiders == 1 == held_by_outsiders(m1)
    assert not sharing.member(m0).move_backs
    waiting.discharge()
    own.leave()  # M0's bed frees; nobody of M0's lodged elsewhere (M2's patient is not M0's)
    assert m0.units[0].occupied == 0 and sharing.records.moved == []


def test_a_home_bed_free_at_discharge_is_taken_directly_when_patients_move_back():
    sharing, (m0, m1) = agreement([1, 5], start=0.0, offered_share=1.0)
    own, patient = Patient(m0), Patient(m0)
    assert patient.bed.pool is m1
    own.discharge()
    own.leave()  # a bed at home frees before the patient leaves hospital
    patient.discharge()
    assert patient.bed is m0.units[0] and patient.lodging is None and sharing.records.flags == {}
    assert sharing.member(m1).outsiders == 0 and m1.units[0].occupied == 0
    assert sum(Patient(m0).bed is not None for _ in range(5)) == 5  # M1 lends its full share again
    assert sharing.member(m1).outsiders == 5


def test_without_move_back_the_patient_stays_in_the_lent_bed():
    sharing, (m0, m1) = agreement([1, 5], start=0.0, offered_share=1.0, move_back=False)
    own, patient = Patient(m0), Patient(m0)
    own.discharge()
    own.leave()
    patient.discharge()
    assert patient.bed.pool is m1 and not patient.lodging.pending
    assert sharing.records.flags == {patient.row: FLAG_SHARED_BED} and not sharing.member(m0).move_backs
    assert m0.units[0].occupied == 0


def test_newly_offered_beds_are_lent_each_day_of_the_ramp():
    sharing, (m0, m1) = agreement([1, 10], start=5.0, ramp_up_days=10, offered_share=1.0)
    Patient(m0)
    run(sharing, 1.0)
    waiting = [Patient(m0) for _ in range(12)]
    lent = []
    for day in range(4, 18):
        run(sharing, day + 0.5)
        lent.append(sum(p.bed is not None for p in waiting))
    assert lent == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10]  # days 4-17

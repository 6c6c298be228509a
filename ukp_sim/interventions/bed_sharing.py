"""``bed_sharing`` — interkommunalt samarbeid om korttidsplasser (est. 1 Jan 2025).

Mechanism: a patient waits for a bed at home first; with none free, a sharable patient (not
terminal, no delirium, unless allowed; only UKP from hospital, never korttid admissions from
home) may take a free bed another participant offers (at most ``offered_share`` x ramp of that
pool's open beds used by outsiders at once, and none of its own patients waiting), from the pool
with the most offered room left. When a bed frees, its pool serves its own queue first, then its
own patients lodged elsewhere (``move_back``), then eligible outsiders, longest waiting first.
The bed's municipality receives the patient; the stay's outcome is the patient's own
municipality's. Closing beds evicts no outsider.

The plug-in acts through each participating pool's public policy interface
(``KorttidPool.attach_policy`` with a ``Member``); the per-pool state of the agreement (share,
outsiders held, own patients lodged elsewhere) lives in the ``Member``, not on the pool.

Evidence: pooling 10 % of intermediate-care beds cut waits by 25-42 % (Onen-Dumlu Z et al. 2022,
PLOS ONE 17(6):e0268837); pooling 8 of 26 stroke beds cut delayed admissions from 1 in 7 to 1 in
29 (Monks T et al. 2016, BMC Health Serv Res 16:530). Both are model results, not trials.
Full description: docs/interventions.md, section 2.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass

from ukp_sim.base.fields import _f, _fd
from ukp_sim.interventions.base import (
    ENABLED_DOC,
    RAMP_DOC,
    Intervention,
    PoolPolicy,
    Ramp,
    ScenarioCheck,
    covered,
)

FLAG_SHARED_BED = 16  # discharged to a korttidsplass in another municipality (bed sharing)


@dataclass(frozen=True, kw_only=True)
class BedSharing:
    """Interkommunalt samarbeid om korttidsplasser: participating municipalities offer a share of
    their korttidsplasser to each other's hospital patients."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2025, 1, 1), "first day of the agreement (est.: 1 Jan 2025)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the offered share", min=0, max=3650)
    municipalities: tuple[str, ...] = _f((), "participating municipalities; empty: all")
    offered_share: float = _f(
        0.10, "share of each participant's open korttidsplasser that outsiders may use at once "
        "(Onen-Dumlu et al. 2022: pooling 10 % cut waits 25-42 %)", min=0, max=1, plausible=(0.05, 0.25),
    )
    offered_share_by: dict[str, float] = _fd(dict, "offered_share for named municipalities", min=0, max=1)
    exclude_terminal: bool = _f(True, "terminally ill patients wait for a bed in their own municipality")
    exclude_delirium: bool = _f(True, "patients with delirium wait for a bed in their own municipality")
    move_back: bool = _f(True, "a patient in another municipality's bed moves to a bed at home when one frees")


class Member(PoolPolicy):
    """One participating pool's side of the agreement; the pool calls it as its policy."""

    __slots__ = ("sharing", "pool", "share", "outsiders", "move_backs")

    def __init__(self, sharing: "Plugin", pool, share: float):
        self.sharing = sharing
        self.pool = pool
        self.share = share  # offered share of its open beds
        self.outsiders = 0  # its beds held by other municipalities' patients now
        self.move_backs: deque[Lodging] = deque()  # its own patients lodged elsewhere, waiting to move home

    def outside_bed(self, pool, request):
        return self.sharing.outside_bed(self)

    def after_serve(self, pool) -> None:
        self.sharing.serve_others(self)

    def admit(self, pool, unit, row: int):
        return self.sharing.admit(self, unit, row)


class Lodging:
    """A patient in another municipality's korttidsplass, who may move to a bed at home."""

    __slots__ = ("sharing", "home", "unit", "row", "pending")

    def __init__(self, sharing: "Plugin", home: Member, unit):
        self.sharing = sharing
        self.home = home
        self.unit = unit
        self.row = -1
        self.pending = False

    def started(self, row: int) -> None:
        """The korttid stay started as row ``row`` of the korttid records."""
        self.row = row

    def move_home(self, unit) -> None:
        """Called with a free unit of the home pool: take it and give the outside bed back."""
        self.home.pool.occupy(unit)
        old = self.unit
        self.unit = unit
        self.pending = False
        sharing = self.sharing
        sharing.member(old.pool).outsiders -= 1
        sharing.moves += 1
        sharing.records.move_korttid(self.row, sharing.env.now, unit.uid)
        old.pool.release(old)

    def leave(self):
        """The stay ends: stop waiting to move; the unit to release."""
        if self.pending:
            self.home.move_backs.remove(self)
            self.pending = False
        if self.unit.pool is not self.home.pool:
            self.sharing.member(self.unit.pool).outsiders -= 1
        return self.unit


class Plugin(Intervention):
    """Korttid pools that lend each other beds."""

    id = "bed_sharing"
    Params = BedSharing
    title = "interkommunalt samarbeid om korttidsplasser"
    labels = {"nb": "Interkommunalt samarbeid om korttidsplasser", "en": "Inter-municipal korttid bed sharing"}
    colour = "#56B4E9"
    evidence = {
        "nb": "Å dele 10 % av korttidsplassene mellom områder kortet ventetiden med 25–42 % i en simulering av "
              "engelsk utskrivingsforløp (Onen-Dumlu et al. 2022); deling av 8 av 26 slagsenger kuttet "
              "forsinkede innleggelser fra 1 av 7 til 1 av 29 (Monks et al. 2016). Begge er modellresultater; "
              "her følger effekten av helsefellesskapets egne kapasiteter. Terminale pasienter og pasienter med "
              "delirium er unntatt.",
        "en": "Pooling 10 % of intermediate-care beds between localities cut waits by 25–42 % in a simulation of "
              "the English discharge pathway (Onen-Dumlu et al. 2022); pooling 8 of 26 stroke beds cut delayed "
              "admissions from 1 in 7 to 1 in 29 (Monks et al. 2016). Both are model results; here the effect "
              "follows from the community's own capacities. Terminal patients and patients with delirium are "
              "excluded.",
    }
    flags = {"shared_bed": FLAG_SHARED_BED}

    @classmethod
    def check(cls, params: BedSharing, scenario: ScenarioCheck):
        yield from scenario.listed("municipalities", params.municipalities)
        members = set(params.municipalities or scenario.names)
        yield from scenario.within("offered_share_by", params.offered_share_by, members,
                                   "does not take part in the sharing",
                                   "add it to bed_sharing.municipalities or remove this line")
        if params.enabled and len(members) < 2:
            yield ("municipalities", "sharing needs at least two municipalities",
                   "list two or more, or leave the list empty for all")

    def __init__(self, params: BedSharing, model):
        super().__init__(params, model)
        self.env = model.env
        self.records = model.records
        self.ramp = Ramp.of(params, model.cal.origin)
        self.t0 = self.ramp.t0
        self.move_back = params.move_back
        self.moves = 0
        self.on_assign = None  # a test hook: called (home pool, lending pool, unit) on every outside assignment
        covers = covered(params.municipalities, [m.name for m in model.munis])
        self.members: list[Member] = []
        self._by_pool: dict[object, Member] = {}
        for m in model.munis:
            if covers[m.index]:
                member = Member(self, m.pool, params.offered_share_by.get(m.name, params.offered_share))
                m.pool.attach_policy(member)
                self.members.append(member)
                self._by_pool[m.pool] = member

    def member(self, pool) -> Member:
        """The agreement's side of a participating pool."""
        return self._by_pool[pool]

    def bed_request(self, patient) -> bool:
        sp = self.params
        return not ((sp.exclude_terminal and patient.terminal) or (sp.exclude_delirium and patient.delirium))

    def offered(self, member: Member) -> int:
        """Beds of the member's pool that outsiders may hold at once now."""
        f = self.ramp(self.env.now)
        if f <= 0.0 or member.share <= 0.0:
            return 0
        return int(math.floor(member.share * f * member.pool.open_beds() + 1e-9))

    def outside_bed(self, home: Member):
        """A sharable request found no free bed at home: a free offered bed elsewhere, from the
        pool with the most offered room left, or None."""
        if self.env.now < self.t0:
            return None
        best = best_unit = None
        best_room = 0
        for p in self.members:
            if p is home or p.pool.waiting:
                continue
            room = self.offered(p) - p.outsiders
            if room <= best_room:
                continue
            unit = p.pool.free_unit()
            if unit is not None:
                best, best_unit, best_room = p, unit, room
        if best is None:
            return None
        self._assign(home, best, best_unit)
        return best_unit

    def _assign(self, home: Member, lender: Member, unit) -> None:
        if self.on_assign is not None:
            self.on_assign(home.pool, lender.pool, unit)
        lender.pool.occupy(unit)
        lender.outsiders += 1

    def serve_others(self, member: Member) -> None:
        """The member's pool has served its own queue: bring its own patients home from other
        pools, then lend free offered beds to other pools' waiting patients, longest waiting first."""
        pool = member.pool
        if pool.waiting:
            return
        while member.move_backs:
            unit = pool.free_unit()
            if unit is None:
                return
            member.move_backs.popleft().move_home(unit)
        if self.env.now < self.t0:
            return
        while member.outsiders < self.offered(member):
            unit = pool.free_unit()
            if unit is None:
                return
            request, src = self._longest_waiting(member)
            if request is None:
                return
            src.pool.take_request(request)
            self._assign(src, member, unit)
            request.succeed(unit)

    def _longest_waiting(self, member: Member):
        best = src = None
        for p in self.members:
            if p is member or not p.pool.waiting:
                continue
            for request in p.pool.waiting_requests():
                if request.sharable:
                    if best is None or request.t_request < best.t_request:
                        best, src = request, p
                    break
        return best, src

    def admit(self, home: Member, unit, row: int):
        """The patient leaves hospital for ``unit`` of another pool. If a bed at home has freed
        meanwhile (and nobody at home waits), and patients move back, they go home directly."""
        pool = home.pool
        if self.move_back and not pool.waiting:
            own = pool.free_unit()
            if own is not None:
                pool.occupy(own)
                self.member(unit.pool).outsiders -= 1
                unit.pool.release(unit)
                return own, None
        lodging = Lodging(self, home, unit)
        if self.move_back:
            lodging.pending = True
            home.move_backs.append(lodging)
        self.records.add_flags(row, FLAG_SHARED_BED)
        return unit, lodging

    def start(self) -> None:
        if self.t0 < self.model.horizon:
            self.env.process(self._tick())

    def _tick(self):
        """At the start, and daily while the offered share ramps up, lend what became offered."""
        env = self.env
        t = max(self.t0, env.now)
        end = self.t0 + max(0.0, self.ramp.days)
        while True:
            yield env.timeout(t - env.now)
            for p in self.members:
                if not p.pool.waiting:
                    self.serve_others(p)
            t += 1.0
            if t > end:
                return

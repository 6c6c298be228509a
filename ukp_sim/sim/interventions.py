"""The action plan's interventions, each acting on the model through its mechanism.

Every intervention is a table under ``[interventions]`` in a scenario file (schema:
``ukp_sim.scenario``), off by default, with a ``start`` date (the action plan's date) and an
optional ``ramp_up_days`` over which its coverage or effect grows linearly from 0 to full. None
of them touches a KPI: each changes who is planned when, where a patient goes, how many beds or
intake slots there are, or how long a korttid stay lasts, and the KPIs follow from the records.
The full description, parameters, plausible ranges and sources are in docs/interventions.md.

1. ``discharge_team`` — forsterket utskrivingsteam (pilot from 1 Sep 2024). A SimPy resource
   with ``capacity`` places. At the UKP declaration an eligible patient (CFS >= ``cfs_min``, or new
   to municipal services) is referred with probability ``coverage``; the team takes the patient
   only if it has a free place (an overloaded team helps fewer patients, nobody waits for it) and
   keeps the place until ``follow_up_days`` after discharge. A followed patient: the municipal
   planning time x ``planning_time_factor``; bound for a korttidsplass, goes home with services
   instead with probability ``home_instead_of_korttid``; 30-day readmission risk x
   ``readmission_risk_ratio``. Evidence: discharge planning for older medical patients cuts the
   hospital stay by about 0.7-0.9 days and readmissions with RR about 0.82-0.87 (Gonçalves-Bradley
   DC et al., Discharge planning from hospital, Cochrane Database Syst Rev, CD000313; 2016 issue:
   MD -0.73 days, RR 0.87); early discharge planning in older patients RR 0.78 (Fox MT et al. 2013,
   BMC Geriatrics 13:70); a coordinating nurse in Tønsberg cut UKP-days from over 1,000 a year to 80.
2. ``bed_sharing`` — interkommunalt samarbeid om korttidsplasser (est. 1 Jan 2025). A patient
   waits for a bed at home first; with none free, a sharable patient (not terminal, no delirium,
   unless allowed) may take a free bed another participant offers (at most ``offered_share`` of
   that pool's open beds used by outsiders at once). When a bed frees, its pool serves its own
   queue first, then its own patients lodged elsewhere (``move_back``), then eligible outsiders,
   longest waiting first. Evidence: pooling 10 % of intermediate-care beds cut waits by 25-42 %
   (Onen-Dumlu Z et al. 2022, PLOS ONE 17(6):e0268837); pooling 8 of 26 stroke beds cut delayed
   admissions from 1 in 7 to 1 in 29 (Monks T et al. 2016, BMC Health Serv Res 16:530).
3. ``early_assessment`` — tidlig tverrfaglig vurdering (by 31 Dec 2024). For eligible patients
   (new to services, or CFS >= ``cfs_min``) with probability ``coverage``, municipal planning starts
   at the admission notice (``notice_hours`` after admission) instead of at the UKP notice: the
   decision is ready at max(declaration, admission + notice + planning time).
4. ``escalation_plan`` — local escalation plans (1 Oct 2024) and seasonal capacity planning
   (1 Jun 2024). Each day at ``check_hour``, a municipality with more UKP waiting in hospital than
   its threshold (and no escalation running) opens temporary korttidsplasser after ``lag_days``
   for ``duration_days``. From ``seasonal_start``, extra planned beds in ``peak_months`` and no
   holiday bed closures. No published effect size: only the mechanism is modelled.
5. ``efficient_korttid`` — effektive korttidsforløp (2024). The length of stay of korttid stays
   starting on or after ``start`` in the named units x (1 - reduction); the same patient's stay is
   exactly that much shorter (the uniform is shared). Default Øya helsehus -20 % (KPI 6 target 20
   days from about 25).
6. ``frailty_pathway`` — CFS scoring, admission reports with functional level, GP notice (by 1 Sep
   2024). Patients whose CFS is scored (``coverage``) and >= ``cfs_min`` are flagged: municipal
   planning starts ``notice_hours`` after admission (the admission report), and the readmission
   risk x ``readmission_risk_ratio`` (est. 0.90, about half the log effect of Fox et al. 2013,
   RR 0.78, since flagging is a lighter intervention than a discharge-planning programme).
7. ``capacity`` — extra korttidsplasser (in a unit, or a new unit), extra home-service intake per
   day, and reception every day (weekends and public holidays) for listed municipalities.

Random decisions use their own per-stay uniforms (``patient.STAY_QUANTITIES``, appended at the
end, drawn only when an intervention needs them), compared as ``u < p``: a larger coverage only
adds patients, and an intervention that is off (or has coverage or capacity 0) reproduces the
baseline's records exactly.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import deque

import numpy as np
import simpy

from ukp_sim.sim.records import FLAG_EARLY_ASSESSMENT, FLAG_FRAILTY, FLAG_TEAM, FLAG_TEAM_HOME, HOME_NEW, KORTTID
from ukp_sim.config.scenario import Scenario

from ukp_sim.sim.municipality import HomeIntake, KorttidPool, KorttidUnit, Reception
from ukp_sim.sim.patient import U_EARLY_ASSESSMENT, U_FRAILTY_KNOWN, U_TEAM_HOME, U_TEAM_REFERRAL

INF = math.inf


def half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


class Ramp:
    """0 before ``t0``; from ``t0`` it grows linearly to 1 over ``days`` (1 at once if 0)."""

    __slots__ = ("t0", "days")

    def __init__(self, t0: float, days: int):
        self.t0 = float(t0)
        self.days = float(days)

    def __call__(self, t: float) -> float:
        if t < self.t0:
            return 0.0
        if self.days <= 0.0:
            return 1.0
        return min(1.0, (t - self.t0) / self.days)

    def by_day(self, n_days: int) -> np.ndarray:
        """The factor at the start (midnight) of each day."""
        d = np.arange(n_days, dtype=float)
        if self.days <= 0.0:
            return (d >= self.t0).astype(float)
        return np.where(d < self.t0, 0.0, np.minimum(1.0, (d - self.t0) / self.days))


def _day(date: dt.date, origin: dt.date) -> int:
    return (date - origin).days


def _covered(names: tuple[str, ...], all_names: list[str]) -> list[bool]:
    chosen = set(names) if names else set(all_names)
    return [n in chosen for n in all_names]


# ---------------------------------------------------------------------------------------------
# 1, 3, 6: what happens to one UKP episode
# ---------------------------------------------------------------------------------------------
class DischargeTeamState:
    def __init__(self, spec, env: simpy.Environment, origin: dt.date, names: list[str]):
        self.spec = spec
        self.env = env
        self.ramp = Ramp(_day(spec.start, origin), spec.ramp_up_days)
        self.covers = _covered(spec.municipalities, names)
        self.capacity = spec.capacity
        self.resource = simpy.Resource(env, capacity=spec.capacity) if spec.capacity > 0 else None
        self.follow_up = spec.follow_up_days

    def take(self):
        """A place on the team if one is free now, else None (nobody waits for the team)."""
        res = self.resource
        if res is None or res.count >= self.capacity:
            return None
        return res.request()

    def release_after_discharge(self, req) -> None:
        res = self.resource
        self.env.timeout(self.follow_up).callbacks.append(lambda _ev: res.release(req))


class LosCut:
    """efficient_korttid for one unit: stays starting at time t last x (1 - r * ramp(t))."""

    __slots__ = ("ramp", "reduction")

    def __init__(self, ramp: Ramp, reduction: float):
        self.ramp = ramp
        self.reduction = reduction

    def factor(self, t: float) -> float:
        r = self.ramp(t)
        return 1.0 - self.reduction * r if r > 0.0 else 1.0


class EpisodeEffects:
    """Discharge team, early assessment and frailty pathway: their effect on one UKP episode."""

    def __init__(self, iv, model):
        self.U = (U_TEAM_REFERRAL, U_TEAM_HOME, U_EARLY_ASSESSMENT, U_FRAILTY_KNOWN)
        origin = model.cal.origin
        names = [m.name for m in model.munis]
        self.team = DischargeTeamState(iv.discharge_team, model.env, origin, names) \
            if iv.discharge_team.enabled else None
        ea = iv.early_assessment
        self.early = (Ramp(_day(ea.start, origin), ea.ramp_up_days), ea) if ea.enabled else None
        fp = iv.frailty_pathway
        self.frailty = (Ramp(_day(fp.start, origin), fp.ramp_up_days), fp) if fp.enabled else None

    def apply(self, patient, t_admitted: float, t_decl: float, u: list[float], decision: float, dest: int):
        """(planning days from the declaration, destination, readmission risk ratio, flags,
        the team's place or None) for an episode declared now."""
        u_team, u_home, u_early, u_frail = self.U
        flags = 0
        rr = 1.0
        req = None
        team = self.team
        if team is not None and team.covers[patient.municipality]:
            sp = team.spec
            if (patient.cfs >= sp.cfs_min or (sp.new_to_services and patient.new_to_services)) \
                    and u[u_team] < sp.coverage * team.ramp(t_decl):
                req = team.take()
                if req is not None:
                    flags |= FLAG_TEAM
                    decision *= sp.planning_time_factor
                    rr = sp.readmission_risk_ratio
                    if dest == KORTTID and u[u_home] < sp.home_instead_of_korttid:
                        dest = HOME_NEW
                        flags |= FLAG_TEAM_HOME
        t_plan = INF
        if self.early is not None:
            ramp, sp = self.early
            if (patient.cfs >= sp.cfs_min or (sp.new_to_services and patient.new_to_services)) \
                    and u[u_early] < sp.coverage * ramp(t_admitted):
                t_plan = t_admitted + sp.notice_hours / 24.0
                flags |= FLAG_EARLY_ASSESSMENT
        if self.frailty is not None:
            ramp, sp = self.frailty
            if patient.cfs >= sp.cfs_min and u[u_frail] < sp.coverage * ramp(t_admitted):
                t_plan = min(t_plan, t_admitted + sp.notice_hours / 24.0)
                rr = min(rr, sp.readmission_risk_ratio)
                flags |= FLAG_FRAILTY
        if t_plan < INF:  # planning started before the declaration: ready at max(decl, start + planning)
            decision = max(0.0, t_plan + decision - t_decl)
        return decision, dest, rr, flags, req


# ---------------------------------------------------------------------------------------------
# 2: bed sharing
# ---------------------------------------------------------------------------------------------
class Lodging:
    """A patient in another municipality's korttidsplass, who may move to a bed at home."""

    __slots__ = ("home", "unit", "row", "pending", "sharing")

    def __init__(self, sharing: "BedSharing", home: "KorttidPool", unit: "KorttidUnit"):
        self.sharing = sharing
        self.home = home
        self.unit = unit
        self.row = -1
        self.pending = False

    def move_home(self, unit: "KorttidUnit") -> None:
        """Called by the home pool with a free unit: take it and give the outside bed back."""
        unit.occupied += 1
        old = self.unit
        self.unit = unit
        self.pending = False
        old.pool.outsiders -= 1
        self.sharing.moves += 1
        self.sharing.records.move_korttid(self.row, self.sharing.env.now, unit.uid)
        old.pool.release(old)

    def leave(self) -> "KorttidUnit":
        """The stay ends: stop waiting to move; the unit to release."""
        if self.pending:
            self.home.move_backs.remove(self)
            self.pending = False
        if self.unit.pool is not self.home:
            self.unit.pool.outsiders -= 1
        return self.unit


class BedSharing:
    """Korttid pools that lend each other beds (see the module docstring, item 2)."""

    def __init__(self, spec, env: simpy.Environment, pools: list["KorttidPool"], shares: list[float],
                 origin: dt.date, records):
        self.spec = spec
        self.env = env
        self.pools = pools
        self.records = records
        self.ramp = Ramp(_day(spec.start, origin), spec.ramp_up_days)
        self.t0 = self.ramp.t0
        self.move_back = spec.move_back
        self.moves = 0
        self.on_assign = None  # a test hook: called (home pool, lending pool, unit) on every outside assignment
        for pool, share in zip(pools, shares):
            pool.sharing = self
            pool.offer_share = share
            pool.outsiders = 0
            pool.move_backs = deque()

    def sharable(self, patient) -> bool:
        sp = self.spec
        return not ((sp.exclude_terminal and patient.terminal) or (sp.exclude_delirium and patient.delirium))

    def offered(self, pool: "KorttidPool") -> int:
        """Beds of ``pool`` that outsiders may hold at once now."""
        f = self.ramp(self.env.now)
        if f <= 0.0 or pool.offer_share <= 0.0:
            return 0
        open_beds = sum(u.capacity for u in pool.units)
        return int(math.floor(pool.offer_share * f * open_beds + 1e-9))

    def outside_bed(self, home: "KorttidPool") -> "KorttidUnit | None":
        """A sharable request found no free bed at home: a free offered bed elsewhere, from the
        pool with the most offered room left, or None."""
        if self.env.now < self.t0:
            return None
        best = best_unit = None
        best_room = 0
        for p in self.pools:
            if p is home or p.queue:
                continue
            room = self.offered(p) - p.outsiders
            if room <= best_room:
                continue
            unit = p._free_unit()
            if unit is not None:
                best, best_unit, best_room = p, unit, room
        if best is None:
            return None
        self._assign(home, best, best_unit)
        return best_unit

    def _assign(self, home, pool, unit) -> None:
        if self.on_assign is not None:
            self.on_assign(home, pool, unit)
        unit.occupied += 1
        pool.outsiders += 1

    def serve_others(self, pool: "KorttidPool") -> None:
        """``pool`` has served its own queue: bring its own patients home from other pools, then
        lend free offered beds to other pools' waiting patients, longest waiting first."""
        if pool.queue:
            return
        while pool.move_backs:
            unit = pool._free_unit()
            if unit is None:
                return
            pool.move_backs.popleft().move_home(unit)
        if self.env.now < self.t0:
            return
        while pool.outsiders < self.offered(pool):
            unit = pool._free_unit()
            if unit is None:
                return
            ev, src = self._longest_waiting(pool)
            if ev is None:
                return
            src.queue.remove(ev)
            self._assign(src, pool, unit)
            ev.succeed(unit)

    def _longest_waiting(self, pool):
        best = src = None
        for p in self.pools:
            if p is pool or not p.queue:
                continue
            for ev in p.queue:
                if ev.sharable:
                    if best is None or ev.t_request < best.t_request:
                        best, src = ev, p
                    break
        return best, src

    def admit(self, home: "KorttidPool", unit: "KorttidUnit") -> tuple["KorttidUnit", Lodging | None]:
        """The patient leaves hospital for ``unit`` of another pool. If a bed at home has freed
        meanwhile (and nobody at home waits), and patients move back, they go home directly."""
        if self.move_back and not home.queue:
            own = home._free_unit()
            if own is not None:
                own.occupied += 1
                unit.pool.outsiders -= 1
                unit.pool.release(unit)
                return own, None
        lodging = Lodging(self, home, unit)
        if self.move_back:
            lodging.pending = True
            home.move_backs.append(lodging)
        return unit, lodging

    def tick(self):
        """At the start, and daily while the offered share ramps up, lend what became offered."""
        env = self.env
        t = max(self.t0, env.now)
        end = self.t0 + max(0.0, self.ramp.days)
        while True:
            yield env.timeout(t - env.now)
            for p in self.pools:
                if not p.queue:
                    self.serve_others(p)
            t += 1.0
            if t > end:
                return


# ---------------------------------------------------------------------------------------------
# 4: escalation
# ---------------------------------------------------------------------------------------------
class EscalationSite:
    __slots__ = ("m", "unit", "threshold", "beds", "active")

    def __init__(self, m: int, unit, threshold: int, beds: int):
        self.m = m
        self.unit = unit
        self.threshold = threshold
        self.beds = beds
        self.active = False


# ---------------------------------------------------------------------------------------------
# The plan: everything the model needs, built once per run
# ---------------------------------------------------------------------------------------------
class InterventionPlan:
    """What the enabled interventions change in one model run. ``Model`` builds it only when at
    least one intervention is enabled; with none, the model runs exactly as without this module."""

    def __init__(self, s: Scenario, model):
        iv = s.interventions
        self.s = s
        cal = model.cal
        self.cal = cal
        self.origin = cal.origin
        n = cal.n_days
        names = [m.name for m in model.munis]
        self.names = names

        self.episode = EpisodeEffects(iv, model) if (
            iv.discharge_team.enabled or iv.early_assessment.enabled or iv.frailty_pathway.enabled) else None
        self.needs_uniforms = self.episode is not None

        # ---- 7. capacity: reception, intake, beds ----
        self.extra_beds: dict[int, np.ndarray] = {}  # unit uid -> extra beds per day
        self.no_cut_from: dict[int, int] = {}  # municipality index -> first day without holiday cuts
        self.dynamic_uids: set[int] = set()  # units whose beds a process opens and closes
        self.uncut_uids: set[int] = set()  # units never cut in the holidays (seasonal beds)
        cap = iv.capacity
        if cap.enabled:
            ramp = Ramp(_day(cap.start, self.origin), cap.ramp_up_days)
            r_day = ramp.by_day(n)
            d0 = max(0, _day(cap.start, self.origin))
            for m in model.munis:
                every_day = m.name in cap.weekend_reception
                extra_intake = cap.home_intake_per_day.get(m.name, 0.0)
                if every_day:
                    m.reception = Reception(m.spec.reception, cal, every_day_from=d0)
                if every_day or extra_intake > 0:
                    m.intake = HomeIntake(m.spec.home_service_intake_per_day,
                                          m.spec.reception.holiday_capacity_factor, m.reception, cal,
                                          extra_per_day=extra_intake * r_day if extra_intake > 0 else None)
                eb = cap.korttid.get(m.name)
                if eb is not None and eb.beds > 0:
                    extra = np.floor(eb.beds * r_day + 0.5).astype(np.int64)
                    unit = next((u for u in m.units if u.name == eb.unit), None)
                    if unit is None:
                        unit = model.new_unit(m, eb.unit, eb.los or m.spec.korttid.los)
                    self.extra_beds[unit.uid] = self.extra_beds.get(unit.uid, 0) + extra

        # ---- 4. escalation: seasonal beds, no holiday closures, temporary beds ----
        self.escalation = None
        esc = iv.escalation_plan
        if esc.enabled:
            covers = _covered(esc.municipalities, names)
            s_ramp = Ramp(_day(esc.seasonal_start, self.origin), esc.ramp_up_days)
            peak = np.isin(cal.month, list(esc.peak_months)) & (s_ramp.by_day(n) > 0)
            r_day = s_ramp.by_day(n)
            sites = []
            for m in model.munis:
                if not covers[m.index]:
                    continue
                if esc.no_holiday_closures:
                    self.no_cut_from[m.index] = max(0, _day(esc.seasonal_start, self.origin))
                listed = sum(u.beds for u in m.spec.korttid.units.values())
                seasonal = half_up(esc.peak_extra_share * listed)
                if seasonal > 0 and peak.any():
                    unit = model.new_unit(m, "sesongplasser", m.spec.korttid.los)
                    self.extra_beds[unit.uid] = np.where(peak, np.floor(seasonal * r_day + 0.5), 0).astype(np.int64)
                    self.uncut_uids.add(unit.uid)
                level = esc.levels.get(m.name)
                if level is not None:
                    threshold, beds = level.threshold, level.beds
                else:
                    per_10000 = m.spec.population / 1e4
                    threshold = max(esc.min_threshold, math.ceil(per_10000 * esc.threshold_per_10000 - 1e-9))
                    beds = max(esc.min_beds, half_up(per_10000 * esc.beds_per_10000))
                if beds > 0:
                    unit = model.new_unit(m, "eskalering", m.spec.korttid.los)
                    self.dynamic_uids.add(unit.uid)
                    sites.append(EscalationSite(m.index, unit, threshold, beds))
            self.escalation = (esc, Ramp(_day(esc.start, self.origin), esc.ramp_up_days), sites)
        self.counts_ukp = self.escalation is not None

        # ---- 5. efficient korttid: per-unit length-of-stay cut ----
        ek = iv.efficient_korttid
        if ek.enabled:
            ramp = Ramp(_day(ek.start, self.origin), ek.ramp_up_days)
            for m in model.munis:
                for unit in m.units:
                    r = ek.reduction.get(f"{m.name}/{unit.name}", ek.reduction.get(m.name))
                    if r is not None and r > 0:
                        unit.los_cut = LosCut(ramp, r)

        # ---- 2. bed sharing ----
        self.sharing = None
        bs = iv.bed_sharing
        if bs.enabled:
            covers = _covered(bs.municipalities, names)
            members = [m for m in model.munis if covers[m.index]]
            shares = [bs.offered_share_by.get(m.name, bs.offered_share) for m in members]
            self.sharing = BedSharing(bs, model.env, [m.pool for m in members], shares, self.origin, model.records)

    # ---- capacity schedules -------------------------------------------------------------------
    def unit_beds(self, m, unit: "KorttidUnit", cut_days: np.ndarray):
        """(beds per day or a scalar, days with the holiday cut) for one unit."""
        beds = unit.beds
        extra = self.extra_beds.get(unit.uid)
        if extra is not None:
            beds = beds + extra
        d0 = 0 if unit.uid in self.uncut_uids else self.no_cut_from.get(m.index)
        if d0 is not None:
            cut_days = cut_days.copy()
            cut_days[d0:] = False
        return beds, cut_days

    # ---- processes ------------------------------------------------------------------------------
    def processes(self, model):
        env = model.env
        if self.escalation is not None:
            env.process(self._escalation(model))
        if self.sharing is not None and self.sharing.t0 < model.horizon:
            env.process(self.sharing.tick())

    def _escalation(self, model):
        env = model.env
        esc, ramp, sites = self.escalation
        t = max(0.0, math.floor(ramp.t0)) + esc.check_hour / 24.0
        while t < ramp.t0:
            t += 1.0
        waiting = model.ukp_waiting
        while t < model.horizon:
            yield env.timeout(t - env.now)
            for site in sites:
                if site.active or waiting[site.m] <= site.threshold:
                    continue
                beds = half_up(site.beds * ramp(env.now))
                if beds <= 0:
                    continue
                site.active = True
                t_open = env.now + esc.lag_days
                model.records.add_escalation(site.m, env.now, waiting[site.m], t_open,
                                             t_open + esc.duration_days, beds)
                env.process(self._escalation_beds(site, beds, esc.lag_days, esc.duration_days))
            t += 1.0

    @staticmethod
    def _escalation_beds(site: EscalationSite, beds: int, lag: float, duration: float):
        env = site.unit.pool.env
        yield env.timeout(lag)
        site.unit.pool.set_capacity(site.unit, beds)
        yield env.timeout(duration)
        site.unit.pool.set_capacity(site.unit, 0)  # closing evicts nobody
        site.active = False

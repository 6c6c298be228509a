"""``escalation_plan`` — local escalation plans (1 Oct 2024) and seasonal capacity planning (1 Jun 2024).

Mechanism. Trigger: the model counts, per municipality, its UKP waiting in hospital. Each day at
``check_hour``, a covered municipality with more UKP waiting than its threshold (and no
escalation running) opens temporary korttidsplasser in a unit ``eskalering`` after ``lag_days``
for ``duration_days``; then the beds close (nobody is evicted). Threshold and beds are
``levels.NAME`` if given, otherwise scaled by population (``threshold_per_10000``,
``beds_per_10000``, with minimums). Seasonal plan: from ``seasonal_start``, in ``peak_months``, a
unit ``sesongplasser`` with round(``peak_extra_share`` x listed beds) beds, and with
``no_holiday_closures`` no summer or Christmas cut of the municipality's units. Every trigger is
recorded in ``records.escalations``.

Evidence: none published for effect sizes; only the mechanism is modelled. The trigger counts
all UKP waiting, also those waiting for planning or home services: where beds are not the
bottleneck the temporary beds open but stay empty (as a real plan keyed to UKP counts would).
Full description: docs/interventions.md, section 4.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy/simpy load on first use: `ukp-sim validate` must start fast
    import numpy as np

from ukp_sim.base.fields import MAX_BEDS, MAX_RELATIVE, _f, _fd, _req
from ukp_sim.interventions.base import (
    ENABLED_DOC,
    RAMP_DOC,
    Intervention,
    Ramp,
    ScenarioCheck,
    covered,
    day_of,
    half_up,
)


@dataclass(frozen=True, kw_only=True)
class EscalationLevel:
    threshold: int = _req("UKP of this municipality waiting in hospital above which temporary beds open", min=0,
                         max=MAX_BEDS)
    beds: int = _req("temporary korttidsplasser opened", min=0, max=MAX_BEDS)


@dataclass(frozen=True, kw_only=True)
class EscalationPlan:
    """Local escalation plans (by 1 Oct 2024) and the community capacity plan for seasonal peaks
    (by 1 Jun 2024). No effect sizes are published: the mechanism is modelled."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2024, 10, 1), "first day the escalation trigger is checked (action plan: 1 Oct 2024)")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales the beds opened (temporary and seasonal)", min=0, max=3650)
    municipalities: tuple[str, ...] = _f((), "municipalities with a plan; empty: all")
    threshold_per_10000: float = _f(
        0.75, "default trigger: UKP waiting per 10,000 inhabitants, rounded up (est.)", min=0, max=MAX_RELATIVE
    )
    min_threshold: int = _f(2, "the default trigger is at least this many UKP waiting (est.)", min=0,
                           max=MAX_BEDS)
    beds_per_10000: float = _f(0.5, "default temporary beds per 10,000 inhabitants, rounded (est.)", min=0,
                                  max=MAX_RELATIVE)
    min_beds: int = _f(1, "default temporary beds at least (est.)", min=0, max=MAX_BEDS)
    levels: dict[str, EscalationLevel] = _fd(dict, "threshold and beds for named municipalities")
    check_hour: float = _f(10.0, "clock hour of the daily check of the UKP count", min=0, max=24)
    lag_days: float = _f(
        2.0, "days from the trigger until the temporary beds open (est.)", min=0, max=60,
        plausible=(1.0, 7.0),
    )
    duration_days: float = _f(14.0, "days the temporary beds stay open (est.)", min=0.01, max=365)
    seasonal_start: dt.date = _f(
        dt.date(2024, 6, 1), "first day of the seasonal capacity plan (action plan: 1 Jun 2024)"
    )
    peak_months: tuple[int, ...] = _f((1, 2), "months (1-12) with extra planned beds", min=1, max=12)
    peak_extra_share: float = _f(
        0.05, "extra planned beds in the peak months, as a share of the municipality's beds (est.)", min=0, max=1
    )
    no_holiday_closures: bool = _f(True, "no summer or Christmas bed closures from seasonal_start")


class EscalationSite:
    """One municipality's temporary unit and trigger."""

    __slots__ = ("m", "unit", "threshold", "beds", "active")

    def __init__(self, m: int, unit, threshold: int, beds: int):
        self.m = m
        self.unit = unit
        self.threshold = threshold
        self.beds = beds
        self.active = False


class Plugin(Intervention):
    id = "escalation_plan"
    Params = EscalationPlan
    title = "eskaleringsplaner og sesongplanlegging"
    labels = {"nb": "Eskaleringsplan", "en": "Escalation plan"}
    colour = "#E69F00"
    priced = True  # its beds, per bed-day open: temporary, seasonal, and those kept open over holidays
    unpriced = {"nb": "plasser som fortsatt er i bruk etter at en eskalering stenger",
                "en": "beds still occupied after an escalation closes"}
    evidence = {
        "nb": "Ingen publiserte effektstørrelser; bare mekanismen er modellert: midlertidige plasser åpner etter "
              "en forsinkelse når antall UKP i en kommune passerer en terskel, pluss planlagte sesongplasser og "
              "ingen stengte plasser i ferier. Terskler, antall plasser og varighet er anslag.",
        "en": "No published effect sizes; only the mechanism is modelled: temporary beds open after a lag when a "
              "municipality's UKP count passes a threshold, plus planned seasonal beds and no holiday closures. "
              "Thresholds, beds and duration are estimates.",
    }

    @classmethod
    def check(cls, params: EscalationPlan, scenario: ScenarioCheck):
        yield from scenario.listed("municipalities", params.municipalities)
        yield from scenario.within("levels", params.levels, set(params.municipalities or scenario.names),
                                   "has no escalation plan",
                                   "add it to escalation_plan.municipalities or remove this table")
        if len(set(params.peak_months)) != len(params.peak_months):
            yield ("peak_months", "a month is listed more than once", "")

    def __init__(self, params: EscalationPlan, model):
        import numpy as np

        super().__init__(params, model)
        esc, cal = params, model.cal
        n = cal.n_days
        covers = covered(esc.municipalities, [m.name for m in model.munis])
        s_ramp = Ramp.of(esc, cal.origin, start=esc.seasonal_start)
        peak = np.isin(cal.month, list(esc.peak_months)) & (s_ramp.by_day(n) > 0)
        r_day = s_ramp.by_day(n)
        self.no_cut_from: dict[int, int] = {}  # municipality index -> first day without holiday cuts
        self.seasonal: dict[int, np.ndarray] = {}  # seasonal unit uid -> beds per day (never cut)
        self.sites: list[EscalationSite] = []
        for m in model.munis:
            if not covers[m.index]:
                continue
            if esc.no_holiday_closures:
                self.no_cut_from[m.index] = max(0, day_of(esc.seasonal_start, cal.origin))
            listed = sum(u.beds for u in m.spec.korttid.units.values())
            seasonal = half_up(esc.peak_extra_share * listed)
            if seasonal > 0 and peak.any():
                unit = model.new_unit(m, "sesongplasser", m.spec.korttid.los)
                self.seasonal[unit.uid] = np.where(peak, np.floor(seasonal * r_day + 0.5), 0).astype(np.int64)
            level = esc.levels.get(m.name)
            if level is not None:
                threshold, beds = level.threshold, level.beds
            else:
                per_10000 = m.spec.population / 1e4
                threshold = max(esc.min_threshold, math.ceil(per_10000 * esc.threshold_per_10000 - 1e-9))
                beds = max(esc.min_beds, half_up(per_10000 * esc.beds_per_10000))
            if beds > 0:  # the plug-in opens and closes these beds itself, not the calendar
                unit = model.new_unit(m, "eskalering", m.spec.korttid.los, by_calendar=False)
                self.sites.append(EscalationSite(m.index, unit, threshold, beds))
        self.ramp = Ramp.of(esc, cal.origin)

    def unit_capacity(self, m, unit, beds, cut_days):
        extra = self.seasonal.get(unit.uid)
        if extra is not None:
            beds = beds + extra
        d0 = 0 if extra is not None else self.no_cut_from.get(m.index)
        if d0 is not None:
            cut_days = cut_days.copy()
            cut_days[d0:] = False
        return beds, cut_days

    def start(self) -> None:
        self.model.env.process(self._escalation())

    def _escalation(self):
        model, esc, ramp = self.model, self.params, self.ramp
        env = model.env
        t = max(0.0, math.floor(ramp.t0)) + esc.check_hour / 24.0
        while t < ramp.t0:
            t += 1.0
        waiting = model.ukp_waiting
        while t < model.horizon:
            yield env.timeout(t - env.now)
            for site in self.sites:
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

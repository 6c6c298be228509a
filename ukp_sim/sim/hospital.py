"""The hospital side: admissions, treatment until the UKP declaration, and who goes where.

Admissions are a Poisson process whose rate varies by month and weekday (piecewise constant per
day). Admissions that need no municipal services compete for nothing the model limits, so they
are sampled with numpy for the occupancy figures only; the others become SimPy processes.
"""
from __future__ import annotations

import math

import numpy as np

from ukp_sim.config.scenario import Hospital, Scenario
from ukp_sim.sim.calendar import WEEKDAYS, SimCalendar, next_true_day
from ukp_sim.sim.streams import Streams

DAYS_PER_YEAR = 365.25


def poisson_arrivals(rng: np.random.Generator, daily_rate: np.ndarray, rng_clock: np.random.Generator) -> np.ndarray:
    """Arrival times (days, sorted) of a Poisson process with a rate that is constant within
    each day: a Poisson count per day, placed uniformly in it (exact for such a rate)."""
    counts = rng.poisson(daily_rate)
    days = np.repeat(np.arange(len(daily_rate)), counts)
    return np.sort(days + rng_clock.random(days.size))


def tracked_rate_per_year(s: Scenario) -> float:
    """First admissions a year that need municipal services, for the whole community."""
    h = s.hospital
    return h.admissions_per_year * h.community_share * h.municipal_needs_share


def municipality_weights(s: Scenario) -> dict[str, float]:
    """Each municipality's share of the community's admissions: population x rate factor."""
    raw = {name: m.population * m.admission_rate_factor for name, m in s.municipalities.items()}
    total = sum(raw.values())
    return {name: (w / total if total > 0 else 0.0) for name, w in raw.items()}


def background_stays(s: Scenario, cal: SimCalendar, factors: np.ndarray, streams: Streams):
    """Admission and discharge times of admissions with no municipal needs (occupancy only)."""
    h = s.hospital
    per_year = h.admissions_per_year - tracked_rate_per_year(s)
    admitted = poisson_arrivals(streams("background/admissions"), per_year / DAYS_PER_YEAR * factors,
                                streams("background/admission_clock"))
    los = h.other_los.from_uniform_array(streams("background/los").random(admitted.size))
    return admitted, admitted + los


class Declaration:
    """When the hospital declares a patient ready: at the end of treatment if that falls in the
    declaration window of a declaring weekday, otherwise at a point of the next window. A patient
    ready on a non-declaring weekday is declared that day anyway with ``off_day_share``."""

    def __init__(self, h: Hospital, cal: SimCalendar):
        self.h0 = h.declaration_hours[0] / 24.0
        self.h1 = h.declaration_hours[1] / 24.0
        self.off_day_share = h.off_day_declaration_share
        days = {WEEKDAYS.index(d) for d in h.declaration_weekdays}
        allowed = np.isin(cal.weekday, list(days))
        self.allowed = allowed.tolist()
        self.next_day = next_true_day(allowed)  # next declaring day at or after i (-1: none)
        self.n = cal.n_days

    def time(self, t_ready: float, u_clock: float, u_off_day: float = 1.0) -> float:
        d = int(t_ready)
        if d >= self.n:
            return math.inf
        allowed = self.allowed[d] or u_off_day < self.off_day_share
        if allowed and d + self.h0 <= t_ready < d + self.h1:
            return t_ready
        if allowed and t_ready < d + self.h0:
            return d + self.h0 + u_clock * (self.h1 - self.h0)
        nd = self.next_day[d] if t_ready < d + self.h0 else self.next_day[d + 1]
        if nd < 0:
            return math.inf
        return nd + self.h0 + u_clock * (self.h1 - self.h0)


def base_odds(mean_share: float, frail_share: float, odds_ratio: float) -> float:
    """Odds for robust patients such that the population mean probability is ``mean_share``
    when frail patients have ``odds_ratio`` times the odds (keeps a stated mix mean-preserving)."""
    if mean_share <= 0.0:
        return 0.0
    if mean_share >= 1.0:
        return math.inf

    def mean_for(o: float) -> float:
        return (1 - frail_share) * o / (1 + o) + frail_share * odds_ratio * o / (1 + odds_ratio * o)

    lo, hi = 0.0, 1.0
    while mean_for(hi) < mean_share:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mean_for(mid) < mean_share:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def prob_from_odds(odds: float, odds_ratio: float) -> float:
    if math.isinf(odds):
        return 1.0
    o = odds * odds_ratio
    return o / (1 + o)

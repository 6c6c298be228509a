"""Opening hours: when a municipality receives patients from hospital (``Reception``) and when
its office decides (``OfficeHours``), as per-day look-up tables over the simulated calendar, so
that the next opening is one index in the hot path."""
from __future__ import annotations

import math

import numpy as np

from ukp_sim.config.scenario import Office
from ukp_sim.config.scenario import Reception as ReceptionSpec
from ukp_sim.sim.calendar import WEEKDAYS, SimCalendar, next_true_day

INF = math.inf


class Reception:
    """Opening days and hours of one municipality's reception of patients from hospital."""

    def __init__(self, spec: ReceptionSpec | Office, cal: SimCalendar, every_day_from: int | None = None):
        days = {WEEKDAYS.index(d) for d in spec.weekdays}
        is_open = np.isin(cal.weekday, list(days))
        if spec.closed_on_public_holidays:
            is_open &= ~cal.public_holiday
        if every_day_from is not None:  # capacity what-if: weekends and public holidays too
            is_open[max(0, every_day_from):] = True
        self.is_open = is_open.tolist()
        self.open_at = spec.open_hour / 24.0
        self.close_at = spec.close_hour / 24.0
        self.next_open_day = next_true_day(is_open)  # next open day at or after i (-1: none)
        self.n_days = cal.n_days

    def next_open(self, t: float) -> float:
        """The earliest time >= t at which the municipality receives a patient."""
        d = int(t)
        if d >= self.n_days:
            return INF
        if self.is_open[d] and t < d + self.close_at:
            return max(t, d + self.open_at)
        nd = self.next_open_day[d + 1]
        return INF if nd < 0 else nd + self.open_at


class OfficeHours(Reception):
    """When a municipality's office decides: its open days and hours (the same calendar logic as
    reception), and when a decision needing some working hours, started at t, is done."""

    def finish(self, t: float, hours: float) -> float:
        """The time the office has worked ``hours`` after ``t`` (t itself if no work is needed)."""
        if hours <= 0.0:
            return t
        need = hours / 24.0
        d = int(t)
        while d < self.n_days:
            if self.is_open[d]:
                start = max(t, d + self.open_at)
                end = d + self.close_at
                if start < end:
                    if need <= end - start:
                        return start + need
                    need -= end - start
            d = self.next_open_day[d + 1]
            if d < 0:
                break
            t = d + self.open_at
        return INF

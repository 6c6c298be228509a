"""Home-service intake: booking with skip pointers gives exactly what a day-by-day scan gives."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from ukp_sim.config.scenario import Reception as ReceptionSpec
from ukp_sim.sim.calendar import SimCalendar
from ukp_sim.sim.municipality import HomeIntake
from ukp_sim.sim.opening_hours import Reception


def scan_book(intake: HomeIntake, used: list[int], t: float) -> float:
    """The first free slot at or after ``t`` found by looking at every day in turn."""
    r = intake.reception
    d = int(t)
    while d < r.n_days:
        if r.is_open[d] and t < d + r.close_at and used[d] < intake.capacity[d]:
            used[d] += 1
            return max(t, d + r.open_at)
        d += 1
        t = float(d)
    return math.inf


@pytest.mark.parametrize("seed", range(12))
def test_booking_equals_the_day_by_day_scan(seed):
    rng = np.random.default_rng(seed)
    n = 120
    cal = SimCalendar.build(dt.date(2023, 6, 1), n, (((6, 20), (8, 10)), ((12, 20), (1, 2))))
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[: int(rng.integers(1, 8))]
    spec = ReceptionSpec(weekdays=weekdays, open_hour=float(rng.uniform(0, 12)), close_hour=float(rng.uniform(12, 24)))
    reception = Reception(spec, cal, every_day_from=int(rng.integers(0, 2 * n)) if seed % 3 == 0 else None)
    extra = rng.uniform(-0.5, 2.0, n) if seed % 2 else None
    intake = HomeIntake(float(rng.uniform(0.1, 3.0)), 0.5, reception, cal, extra_per_day=extra)
    used = [0] * n
    # Mostly in time order (bookings are made at the simulation's now), sometimes earlier, some past the end.
    times = np.sort(rng.uniform(0, n + 5, 400))
    times[rng.random(times.size) < 0.1] *= rng.random()
    for t in times.tolist():
        assert intake.book(t) == scan_book(intake, used, t)
    assert intake.used == used

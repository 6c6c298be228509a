"""Warm-up check by Welch's method (docs/model.md, section 4.1 and limitation 22).

Runs a scenario from empty (no warm-up, growth as the scenario says) for several years and prints,
per day averaged over the replications, the UKP in hospital and the long-term waiting list (korttid
residents waiting for a long-term place, the slowest queue to fill), smoothed by a centred 365-day
moving average so the season drops out. The plateau is the mean of the smoothed values from the
fourth year on; the warm-up needed is the first day from which every 365-day window stays within
5 % of it.

    .venv/bin/python scenarios/checks/warmup_welch.py scenarios/checks/warmup_180.toml --reps 24 --years 6
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ukp_sim.config.loader import load_scenario  # noqa: E402
from ukp_sim.sim.model import Model  # noqa: E402

WINDOW = 365
PLATEAU_FROM = 3 * 365  # window starts from which the smoothed series counts as the plateau
BAND = 0.05


def present(days: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """How many intervals [start, end) contain each day (NaN start: never; NaN end: still open)."""
    keep = ~np.isnan(start)
    a = np.sort(start[keep])
    b = np.sort(np.where(np.isnan(end[keep]), np.inf, end[keep]))
    return np.searchsorted(a, days, side="right") - np.searchsorted(b, days, side="right")


def settled_from(smoothed: np.ndarray) -> tuple[float, int]:
    """The plateau and the first window start from which every window stays within BAND of it."""
    plateau = float(smoothed[PLATEAU_FROM:].mean())
    bad = np.flatnonzero(np.abs(smoothed / plateau - 1) > BAND)
    return plateau, int(bad[-1] + 1) if bad.size else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--reps", type=int, default=24)
    ap.add_argument("--years", type=int, default=6)
    ap.add_argument("--seed", type=int, default=4242)
    a = ap.parse_args()
    s = load_scenario(a.scenario)
    s = dataclasses.replace(s, period=dataclasses.replace(s.period, years=a.years, warmup_days=0))
    days = np.arange(a.years * 365) + 0.5
    ukp = np.zeros(days.size)
    waiting = np.zeros(days.size)
    for rep in range(a.reps):
        r = Model(s, a.seed, rep).run()
        k, st = r.korttid, r.stays
        waiting += present(days, k["t_long_term_request"], k["t_end"]) / a.reps
        ukp += present(days, st["t_declared"], st["t_discharged"]) / a.reps
    print(f"{a.scenario}: {a.reps} replications from empty, seed {a.seed}, {a.years} years from {s.period.start}")
    print("365-day window starting on day | UKP in hospital | long-term waiting list")
    smooth = [np.convolve(x, np.ones(WINDOW) / WINDOW, mode="valid") for x in (ukp, waiting)]
    for d in range(0, smooth[0].size, 91):
        print(f"{d:5d} | {smooth[0][d]:6.1f} | {smooth[1][d]:6.1f}")
    for name, x in zip(("UKP in hospital", "long-term waiting list"), smooth):
        plateau, first = settled_from(x)
        print(f"{name}: plateau {plateau:.1f}; every 365-day window from day {first} is within {BAND:.0%} of it")


if __name__ == "__main__":
    main()

"""Day-by-day counts a KPI is read from (municipality x day or day): korttid beds occupied, the
documented korttid places, the beds interventions keep open, and the hospital's in-patients. Kept
apart from ``compute`` so that each module has one job."""
from __future__ import annotations

import numpy as np

from ukp_sim.config.scenario import Scenario
from ukp_sim.sim.calendar import SimCalendar
from ukp_sim.sim.records import Records


def added_beds(rec: Records, n_munis: int, n_days: int) -> np.ndarray:
    """[municipality, day]: beds open at the end of the day in units interventions added."""
    a = rec.added_beds
    out = np.zeros((n_munis, n_days + 1))
    if len(a["t"]):
        day = np.minimum(np.floor(a["t"]).astype(np.int64), n_days)
        np.add.at(out, (a["municipality"], day), a["change"].astype(float))
    return np.cumsum(out, axis=1)[:, :n_days]


def korttid_census(rec: Records, n_munis: int, n_days: int) -> np.ndarray:
    """Korttid beds occupied at each midnight, per municipality of the bed (municipality x day).

    A stay counts from floor(t_start) to floor(t_end) - 1 (as UKP-days do); a patient lodged in
    another municipality's bed who moves back (bed sharing) counts in the host until the move and
    at home after it."""
    k = rec.korttid
    out = np.zeros((n_munis, n_days + 1))
    if len(k["t_start"]) == 0:
        return out[:, :n_days]
    start = np.floor(k["t_start"]).astype(np.int64)
    end = np.floor(np.where(np.isnan(k["t_end"]), n_days, k["t_end"])).astype(np.int64)
    moved = ~np.isnan(k["t_moved"])
    move_day = np.floor(np.where(moved, k["t_moved"], 0.0)).astype(np.int64)
    first_end = np.where(moved, move_day, end)
    for muni, a, b in ((k["municipality"], start, first_end),
                       (k["patient_municipality"][moved], move_day[moved], end[moved])):
        a = np.clip(a, 0, n_days)
        b = np.clip(b, 0, n_days)
        ok = b > a
        np.add.at(out, (muni[ok], a[ok]), 1.0)
        np.add.at(out, (muni[ok], b[ok]), -1.0)
    return np.cumsum(out, axis=1)[:, :n_days]


def korttid_places(s: Scenario, cal: SimCalendar, n_days: int) -> np.ndarray:
    """The documented korttid places open each day, per municipality (municipality x day): each
    scenario unit's beds from its opening day until its closing day, no holiday cut."""
    out = np.zeros((len(s.municipalities), n_days))
    day = np.arange(n_days)
    for i, m in enumerate(s.municipalities.values()):
        for unit in m.korttid.units.values():
            open_ = np.ones(n_days, dtype=bool)
            if unit.opens is not None:
                open_ &= day >= (unit.opens - cal.origin).days
            if unit.closes is not None:
                open_ &= day < (unit.closes - cal.origin).days
            out[i] += unit.beds * open_
    return out


def hospital_census(rec: Records, n_days: int) -> np.ndarray:
    """In-patients at each midnight (end of day d), tracked and background stays together."""
    midnights = np.arange(1, n_days + 1, dtype=float)
    admitted = np.concatenate([rec.stays["t_admitted"], rec.background_admitted])
    out = np.concatenate([rec.stays["t_discharged"], rec.background_discharged])
    out = np.where(np.isnan(out), np.inf, out)
    a = np.searchsorted(np.sort(admitted), midnights, side="right")
    d = np.searchsorted(np.sort(out), midnights, side="right")
    return (a - d).astype(float)

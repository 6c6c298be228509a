"""What one run records, in columns (plain lists while running, numpy arrays after).

Three tables:
* ``stays``: every hospital stay of a patient the model follows (those who need municipal
  services, and their readmissions). A stay becomes a UKP episode when ``t_declared`` is set.
* ``korttid``: every korttid stay, from hospital, from home (direct) or present at the start.
* ``background``: admission and discharge times of admissions that need no municipal services,
  only used for hospital occupancy.
* ``escalations``: every opening of temporary korttidsplasser by an escalation plan (empty unless
  the intervention is on).
* ``added_beds``: every change of the open beds of a korttid unit an intervention added (time,
  municipality, change): what such beds cost is paid for the days they are open, used or not.
With no intervention on, ``intervention_flags`` is 0, ``patient_municipality`` equals
``municipality``, ``t_moved`` is NaN and ``moved_to_unit`` is -1.
Times are simulation days from the calendar origin; NaN means "had not happened by the end".
No pandas in here: the simulation appends to lists, and ``finish`` turns them into arrays once.
"""
from __future__ import annotations

import math

import numpy as np

# Destination codes (order of scenario.DESTINATIONS), re-exported for the model and the KPIs
from ukp_sim.base.destinations import HOME_NEW, HOME_NONE, KORTTID, NO_DESTINATION  # noqa: F401

NAN = math.nan

# How a korttid stay ended
END_HOME, END_LONG_TERM, END_DEATH, END_READMISSION = 0, 1, 2, 3
END_NAMES = ("home", "long_term", "death", "readmission")
# Where a korttid patient came from
FROM_HOSPITAL, FROM_HOME, FROM_INITIAL = 0, 1, 2
# stays["intervention_flags"] holds bits of what the interventions did for the stay; each
# intervention module defines its own (``Intervention.flags``, ``registry.py``).

STAY_COLUMNS = (
    "patient", "municipality", "frail", "new_to_services", "episode", "initial",
    "t_admitted", "t_declared", "t_ready", "t_discharged", "destination", "needs_services",
    "intervention_flags", "t_reception",
)
# ``t_reception``: the first time at or after ``t_ready`` at which the patient's municipality
# receives patients; the discharge could not have come earlier even with free beds and intake,
# so (t_reception - t_ready) is the wait for reception and (t_discharged - t_reception) the wait
# for a korttid bed or a home-service start (``kpi`` splits UKP-days by it).
# korttid: `municipality` is the municipality whose bed the stay started in (the unit's);
# `patient_municipality` the patient's own (they differ only under bed sharing). A patient who
# moves back to a bed at home keeps one row: `t_moved` and `moved_to_unit` say when and where.
KORTTID_COLUMNS = ("patient", "municipality", "unit", "source", "t_start", "t_end", "end", "t_long_term_request",
                   "patient_municipality", "t_moved", "moved_to_unit")
_N_KORTTID_APPENDED = KORTTID_COLUMNS.index("patient_municipality")  # the ones before are appended row by row
ESCALATION_COLUMNS = ("municipality", "t_trigger", "waiting", "t_open", "t_close", "beds")
ADDED_BED_COLUMNS = ("municipality", "t", "change")


class Records:
    """Append-only columns for one replication."""

    def __init__(self):
        self.stays: dict[str, list] = {c: [] for c in STAY_COLUMNS}
        self.korttid: dict[str, list] = {c: [] for c in KORTTID_COLUMNS[:_N_KORTTID_APPENDED]}
        # Columns that differ from their default only under bed sharing, kept sparse while
        # running (row -> value) and filled in by ``finish``.
        self._korttid_sparse: dict[str, dict] = {c: {} for c in KORTTID_COLUMNS[_N_KORTTID_APPENDED:]}
        self.escalations: dict[str, list] = {c: [] for c in ESCALATION_COLUMNS}
        self.added_beds: dict[str, list] = {c: [] for c in ADDED_BED_COLUMNS}
        # The appended korttid columns in order, and those a stay's end sets (the hot path)
        self._korttid_rows = tuple(self.korttid.values())
        self._korttid_end = (self.korttid["t_end"], self.korttid["end"])
        self.background_admitted = np.empty(0)
        self.background_discharged = np.empty(0)
        self.horizon = 0.0
        self.finished = False

    # ---- stays -----------------------------------------------------------------------------
    def add_stays(self, patient, municipality, frail, new, episode, initial, t_admitted, needs) -> int:
        """Add a block of stays (lists of equal length); returns the first new row index."""
        first = len(self.stays["patient"])
        n = len(patient)
        s = self.stays
        s["patient"].extend(patient)
        s["municipality"].extend(municipality)
        s["frail"].extend(frail)
        s["new_to_services"].extend(new)
        s["episode"].extend(episode)
        s["initial"].extend(initial)
        s["t_admitted"].extend(t_admitted)
        s["needs_services"].extend(needs)
        for col in ("t_declared", "t_ready", "t_discharged"):
            s[col].extend([NAN] * n)
        s["destination"].extend([NO_DESTINATION] * n)
        s["intervention_flags"].extend([0] * n)
        s["t_reception"].extend([NAN] * n)
        return first

    def add_flags(self, row: int, bits: int) -> None:
        """Mark what an intervention did for stay ``row`` (bits of ``intervention_flags``)."""
        self.stays["intervention_flags"][row] |= bits

    def add_stay(self, patient, municipality, frail, new, episode, initial, t_admitted, needs) -> int:
        """``add_stays`` for one stay (a readmission: the hot path)."""
        s = self.stays
        row = len(s["patient"])
        for col, v in ((s["patient"], patient), (s["municipality"], municipality), (s["frail"], frail),
                       (s["new_to_services"], new), (s["episode"], episode), (s["initial"], initial),
                       (s["t_admitted"], t_admitted), (s["t_declared"], NAN), (s["t_ready"], NAN),
                       (s["t_discharged"], NAN), (s["destination"], NO_DESTINATION),
                       (s["needs_services"], needs), (s["intervention_flags"], 0), (s["t_reception"], NAN)):
            col.append(v)
        return row

    # ---- korttid -----------------------------------------------------------------------------
    def start_korttid(self, patient: int, municipality: int, unit: int, source: int, t: float,
                      patient_municipality: int | None = None) -> int:
        k_patient, k_municipality, k_unit, k_source, k_start, k_end_t, k_end, k_long_term = self._korttid_rows
        row = len(k_patient)
        k_patient.append(patient)
        k_municipality.append(municipality)
        k_unit.append(unit)
        k_source.append(source)
        k_start.append(t)
        k_end_t.append(NAN)
        k_end.append(-1)
        k_long_term.append(NAN)
        if patient_municipality is not None and patient_municipality != municipality:
            self._korttid_sparse["patient_municipality"][row] = patient_municipality
        return row

    def end_korttid(self, row: int, t: float, end: int) -> None:
        t_end, ends = self._korttid_end
        t_end[row] = t
        ends[row] = end

    def move_korttid(self, row: int, t: float, unit: int) -> None:
        self._korttid_sparse["t_moved"][row] = t
        self._korttid_sparse["moved_to_unit"][row] = unit

    # ---- escalation ------------------------------------------------------------------------------
    def add_escalation(self, municipality: int, t_trigger: float, waiting: int, t_open: float,
                       t_close: float, beds: int) -> None:
        e = self.escalations
        for col, v in zip(ESCALATION_COLUMNS, (municipality, t_trigger, waiting, t_open, t_close, beds)):
            e[col].append(v)

    def add_bed_change(self, municipality: int, t: float, change: int) -> None:
        """An intervention-added unit of ``municipality`` opened (+) or closed (-) beds at ``t``."""
        a = self.added_beds
        a["municipality"].append(municipality)
        a["t"].append(t)
        a["change"].append(change)

    # ---- after the run -------------------------------------------------------------------------
    def finish(self, horizon: float) -> "Records":
        """Freeze the lists into numpy arrays (once, after the run)."""
        if self.finished:
            return self
        k, sparse = self.korttid, self._korttid_sparse
        n = len(k["patient"])
        for col, default in (("patient_municipality", None), ("t_moved", NAN), ("moved_to_unit", -1)):
            values = list(k["municipality"]) if default is None else [default] * n
            for row, v in sparse[col].items():
                values[row] = v
            k[col] = values
        float_cols = {"t_admitted", "t_declared", "t_ready", "t_discharged", "t_reception", "t_start", "t_end",
                      "t_long_term_request", "t_moved", "t_trigger", "t_open", "t_close", "t"}
        bool_cols = {"frail", "new_to_services", "initial", "needs_services"}
        for table in (self.stays, self.korttid, self.escalations, self.added_beds):
            for col, values in table.items():
                if col in float_cols:
                    table[col] = np.asarray(values, dtype=float)
                elif col in bool_cols:
                    table[col] = np.asarray(values, dtype=bool)
                else:
                    table[col] = np.asarray(values, dtype=np.int64)
        late = self.stays["t_discharged"] > horizon  # discharges scheduled past the end
        self.stays["t_discharged"][late] = NAN
        self.horizon = horizon
        self.finished = True
        return self

    @property
    def n_stays(self) -> int:
        return len(self.stays["patient"])

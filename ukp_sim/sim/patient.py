"""A patient's fixed attributes and the random numbers of each hospital stay.

Every random quantity of a stay is a uniform number drawn from its own named stream, per
municipality and kind of stay ("admission" for first admissions, "readmission" for later ones).
The model turns a uniform into a duration or a choice by an inverse distribution function when
it needs it. So two scenarios see the same patients with the same luck (common random numbers),
and a changed parameter moves outcomes monotonically.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ukp_sim.sim.streams import Streams

# The uniforms every stay carries, in this order.
STAY_QUANTITIES = (
    "treatment_los",  # admission -> UKP declaration
    "declaration_clock",  # where in the declaration window a night-time finisher is declared
    "decision_time",  # UKP notice -> municipal decision ready
    "destination",  # korttid / home with new services / home without
    "korttid_los",
    "korttid_outcome",
    "readmission",  # readmitted within the window?
    "readmission_delay",
    "readmission_needs",  # does the readmitted stay need municipal services again?
    "complex_planning",  # is the municipal planning complex (days, not hours)?
    "complex_planning_days",
    "off_day_declaration",  # declared on a non-declaration day anyway?
)
(U_TREATMENT, U_CLOCK, U_DECISION, U_DESTINATION, U_KORTTID_LOS, U_KORTTID_OUTCOME,
 U_READMISSION, U_READMISSION_DELAY, U_READMISSION_NEEDS, U_COMPLEX, U_COMPLEX_DAYS,
 U_OFF_DAY) = range(len(STAY_QUANTITIES))
# Enabled interventions append their own quantities (``Intervention.stay_uniforms``) after these;
# each quantity has its own stream, so the others are the same either way.
N_BASE_QUANTITIES = len(STAY_QUANTITIES)


class StayDraws:
    """Per-stay uniforms for one (kind, municipality), served in order, drawn in blocks.

    Blocks start at ``block`` rows and double as ``next`` uses them up (to 1024): a small
    municipality has a few dozen readmissions a year. A stream gives the same numbers in blocks
    of any size, so the block sizes change no draw.
    ``only``: the columns a kind of stay uses (korttid admissions from home use two); the others
    are NaN and their streams are never made (making a stream costs more than its draws)."""

    def __init__(self, streams: Streams, kind: str, municipality: str, block: int = 32,
                 extra: tuple[str, ...] = (), only: tuple[int, ...] | None = None):
        quantities = STAY_QUANTITIES + tuple(extra)
        self._width = len(quantities)
        self._only = only
        cols = range(self._width) if only is None else only
        self._gens = [streams(f"{kind}/{quantities[i]}/{municipality}") for i in cols]
        self._block = max(1, block)
        self._rows: list[list[float]] = []
        self._i = 0

    def take(self, n: int) -> list[list[float]]:
        """The next ``n`` stays' uniforms (one list per stay: the base quantities, then ``extra``)."""
        while len(self._rows) - self._i < n:
            self._fill(max(self._block, n))
        out = self._rows[self._i:self._i + n]
        self._i += n
        return out

    def next(self) -> list[float]:
        if self._i >= len(self._rows):
            self._fill(self._block)
            self._block = min(2 * self._block, 1024)
        row = self._rows[self._i]
        self._i += 1
        return row

    def _fill(self, n: int) -> None:
        if self._only is None:
            block = np.column_stack([g.random(n) for g in self._gens])
        else:
            block = np.full((n, self._width), np.nan)
            for i, g in zip(self._only, self._gens):
                block[:, i] = g.random(n)
        self._rows = self._rows[self._i:] + block.tolist()
        self._i = 0


@dataclass(slots=True)
class Patient:
    """Attributes that stay with a patient across readmissions."""

    pid: int
    municipality: int  # index into the model's municipality list
    cfs: int
    frail: bool
    new_to_services: bool
    terminal: bool
    delirium: bool
    stays: int = 0  # hospital stays so far (readmissions included)


def draw_patient_attributes(
    streams: Streams, kind: str, municipality: str, n: int, cfs_distribution, frail_cfs: int,
    new_share: float, terminal_share: float, delirium_share: float,
) -> dict[str, np.ndarray]:
    """CFS and flags for ``n`` new patients of one municipality (vectorised)."""
    p = np.asarray(cfs_distribution, dtype=float)
    cfs = streams(f"{kind}/cfs/{municipality}").choice(np.arange(1, 10), size=n, p=p / p.sum())
    return {
        "cfs": cfs,
        "frail": cfs >= frail_cfs,
        "new_to_services": streams(f"{kind}/new_to_services/{municipality}").random(n) < new_share,
        "terminal": streams(f"{kind}/terminal/{municipality}").random(n) < terminal_share,
        "delirium": streams(f"{kind}/delirium/{municipality}").random(n) < delirium_share,
    }

"""How the study's simulated baseline year meets the calibration's targets of that year: the
figures a reader should know the model misses before reading its effects (e.g. a municipality's
UKP-days), from the targets file the study names and the study's own KPI table."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ukp_sim.base.vocabulary import WHOLE_YEAR


def calibration_check(kpis: pd.DataFrame, targets_file: Path | None, year: int) -> list[dict]:
    """One row per calibration target of ``year`` the KPI table has (baseline, whole year): the
    observed value and tolerance, the simulated mean, and whether it is within the tolerance.
    Empty without a targets file."""
    if targets_file is None:
        return []
    from ukp_sim.config.calibration_file import load_calibration_spec

    spec = load_calibration_spec(targets_file)
    base = kpis[(kpis["scenario"] == "baseline") & (kpis["year"] == year)]
    if "month" in base.columns:
        base = base[base["month"] == WHOLE_YEAR]
    means = base.set_index(["municipality", "kpi"])["mean"]
    rows = []
    for t in spec.targets_for(year):
        simulated = means.get((t.municipality, t.kpi))
        if simulated is None or math.isnan(float(simulated)):
            continue
        rows.append({"kpi": t.kpi, "municipality": t.municipality, "year": year, "observed": t.observed,
                     "tolerance": t.tolerance, "simulated": float(simulated),
                     "met": abs(float(simulated) - t.observed) <= t.tolerance, "source": t.source})
    return rows

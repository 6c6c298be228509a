"""What a calibration writes: the calibrated scenario (a short file that extends the prior and
overrides the fitted values) and the table of plausible parameter sets. ``hm`` is the
``HistoryMatch`` and ``fit`` the ``FitRow`` list of ``ukp_sim.analysis.calibration``."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np

from ukp_sim.analysis.calibration_params import _get, apply_parameters, matching_paths
from ukp_sim.config.scenario import Community


# ---------------------------------------------------------------------------------------------
# Writing the calibrated scenario
# ---------------------------------------------------------------------------------------------
def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else '"' + key.replace('"', '\\"') + '"'


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):  # every digit: the file must rerun as the fitted set (the comment rounds)
        return repr(v)
    return '"' + str(v).replace('"', '\\"') + '"'


def headline_line(fit: list) -> str:
    """The header line on the headline target (highest weight): met, or MISSED, which only a
    calibration run with --force (or a --quick one) writes, so the file itself says a cited level
    is off."""
    head = max(fit, key=lambda r: r.target.weight)
    t = head.target
    verdict = ("met" if head.passed else
               "MISSED (only --force or --quick writes such a file; see calibration/report.md)")
    return (f"# Headline ({t.kpi} for {t.municipality}): {head.mean:,.0f} against {t.observed:,.0f} "
            f"± {t.tolerance:,.0f}: {verdict}.")


def write_calibrated_scenario(out: Path, extends: Path, base: dict, hm, seed: int, fit: list, version: str) -> str:
    """The calibrated scenario as a short file that extends the input and overrides the fitted
    values, each commented with its prior range and its range over the plausible sets."""
    best = hm.points[hm.best]
    fitted = apply_parameters(base, hm.params, best)
    plaus = hm.points[hm.plausible]
    comments: dict[tuple, str] = {}
    for j, p in enumerate(hm.params):
        lo, hi = plaus[:, j].min(), plaus[:, j].max()
        what = "x" if p.mode == "scale" else ""
        note = (f"fitted ({p.name}{', scale' if p.mode == 'scale' else ''}): best {what}{best[j]:.3g}, "
                f"plausible {what}{lo:.3g}-{what}{hi:.3g}, prior {what}{p.low:g}-{what}{p.high:g}")
        for path in matching_paths(base, p.path, p.exclude):
            comments[path] = note
    tables: dict[tuple, list[str]] = {}
    for path, note in comments.items():
        value = _get(fitted, path)
        tables.setdefault(path[:-1], []).append(f"{_toml_key(path[-1])} = {_toml_value(value)}  # {note}")
    rel = Path(os.path.relpath(extends, out.parent)).as_posix()
    community = (base.get("community") or {}).get("name", Community().name)
    passed = sum(r.passed for r in fit)
    lines = [
        f"# Calibrated baseline for {hm.year}, written by `ukp-sim calibrate` (ukp-sim {version}) on "
        f"{dt.date.today().isoformat()} with seed {seed}.",
        f"# It extends {extends.name} (read that file for every value not listed here and its source) and",
        "# overrides the parameters that calibration fitted. Each comment gives the best value, its",
        "# range over the plausible parameter sets and its prior range. Do not edit by hand: rerun",
        "# `make calibrate` (calibration/report.md shows the fit).",
        f"# This is world 1, the best, of the ensemble of plausible worlds in ensemble_{hm.year}.csv: the",
        "# yearly figures fit other worlds as well, whose UKP wait for other things; answers that",
        "# depend on which world is true must be given over the ensemble.",
        f"# Fit of the best set ({len(fit[0].values)} replications): {passed} of {len(fit)} targets within tolerance.",
        headline_line(fit),
        "",
        f'extends = "{rel}"',
        f'name = "baseline_{hm.year}"',
        f'description = "{community}, somatics, {hm.year}, calibrated to the {hm.year} figures"',
        "",
    ]
    for table in sorted(tables):
        lines.append("[" + ".".join(_toml_key(k) for k in table) + "]")
        lines.extend(tables[table])
        lines.append("")
    text = "\n".join(lines)
    return text


# ---------------------------------------------------------------------------------------------
# The whole calibration: each year, its fit, the held-out check, files and report
# ---------------------------------------------------------------------------------------------


def plausible_table(hm):
    """The plausible parameter sets, best first, with their fit measures (a DataFrame)."""
    import pandas as pd

    rows = []
    for rank, i in enumerate(hm.plausible, start=1):
        row = {"rank": rank, "candidate": int(i), "wave": int(hm.wave[i]), "distance": hm.distance[i],
               "max_implausibility": hm.max_impl[i]}
        row.update({p.name: hm.points[i, j] for j, p in enumerate(hm.params)})
        row.update({f"sim:{t.label}": float(np.nanmean(hm.sims[i, :, k])) for k, t in enumerate(hm.targets)})
        rows.append(row)
    return pd.DataFrame(rows)

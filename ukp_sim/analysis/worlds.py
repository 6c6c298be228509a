"""The plausible worlds an answer is given over: a scenario re-created in each world of a
calibrated year's ensemble (``calibration/ensemble_<year>.csv``).

The yearly figures fit worlds whose UKP wait for different things (a decision, a korttid bed, a
home-service start), and a measure's effect depends on which is true. A scenario that extends
the calibrated ``baseline_<year>.toml`` is put into world k by giving every calibrated value it
inherits from that baseline world k's value instead; a value the scenario (or a file between it
and the baseline) sets itself stays, so a what-if's own change is kept in every world. World 1
is the best set, i.e. the baseline itself: in world 1 a scenario is exactly itself.

The world's values go through the same number formatting as the calibrated scenario file, so
world 1 reproduces the file's values to the last digit. With ``EffectDraws`` the interventions'
estimated effects are drawn per world as well (analysis/intervention_draws.py; world 1 keeps the
documented defaults).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ukp_sim.analysis.calibration_output import _toml_value
from ukp_sim.analysis.calibration_params import _get, _set, apply_parameters, matching_paths
from ukp_sim.analysis.intervention_draws import EffectDraws, uncertain_effects
from ukp_sim.base.errors import UserError
from ukp_sim.config.calibration_file import CalibrationSpec, CalParameter, load_calibration_spec
from ukp_sim.config.loader import load_scenario_data


@dataclass(frozen=True)
class WorldSet:
    """The worlds of one calibrated year: their numbers (1 = the best, the baseline) and parameters."""

    year: int
    file: Path  # the ensemble CSV they come from
    ids: tuple[int, ...]
    params: tuple[CalParameter, ...]
    points: np.ndarray  # [world, parameter]
    baseline: Path  # the calibrated scenario (world 1)
    calibration_input: Path  # the scenario the calibration changed (its values are the worlds' base)
    left_out: tuple[int, ...] = ()  # worlds of the file not plausible with their replications (not run)
    numbered: int = 1  # the file's highest world number (the effects' draws are made for worlds 1..numbered)

    def __len__(self) -> int:
        return len(self.ids)


def load_worlds(spec: CalibrationSpec | Path, year: int, first: int | None = None,
                only: int | None = None) -> WorldSet:
    """The worlds of ``year`` from the ensemble beside the targets file: all of them, the first
    ``first``, or world ``only`` alone."""
    import pandas as pd

    if not isinstance(spec, CalibrationSpec):
        spec = load_calibration_spec(spec)
    ys = spec.years.get(str(year))
    if ys is None:
        raise UserError(f"{spec.file}: no [years.{year}] table, so no worlds for {year}")
    file = Path(spec.file).parent / f"ensemble_{year}.csv"
    if not file.exists():
        raise UserError(f"{file}: no ensemble of plausible worlds for {year}; run `make calibrate` first "
                        "(or run without --worlds: the calibrated baseline alone)")
    table = pd.read_csv(file)
    names = [p.name for p in spec.parameter]
    missing = [n for n in ["world", *names] if n not in table.columns]
    if missing:
        raise UserError(f"{file}: lacks the column(s) {', '.join(missing)} that {Path(spec.file).name} names; "
                        "the targets changed since the calibration: run `make calibrate` again")
    table = table.sort_values("world")
    numbered = int(table["world"].max())
    left_out: tuple[int, ...] = ()
    if "plausible" in table.columns:  # world 1 (the baseline) always; the others only if plausible
        keep = table["plausible"].astype(str).str.lower().isin(("true", "1")) | (table["world"] == 1)
        left_out = tuple(int(w) for w in table.loc[~keep, "world"])
        table = table[keep]
    if only is not None:
        table = table[table["world"] == only]
        if table.empty:
            why = " (it is not plausible with its replications)" if only in left_out else ""
            raise UserError(f"{file}: no world {only} to run{why}; it has worlds "
                            f"{', '.join(str(w) for w in sorted(set(pd.read_csv(file)['world']) - set(left_out)))}")
    elif first is not None:
        table = table.head(first)
    return WorldSet(year, file, tuple(int(w) for w in table["world"]), tuple(spec.parameter),
                    table[names].to_numpy(dtype=float), spec.resolve(ys.output), spec.resolve(ys.scenario), left_out,
                    numbered)


def _as_written(value):
    """``value`` as the calibrated scenario file writes and reads it back."""
    return tomllib.loads(f"v = {_toml_value(value)}")["v"]


class WorldMaker:
    """Puts scenarios into the worlds of a ``WorldSet`` (the calibration input is read once), with
    the interventions' effects of ``draws`` (None: every effect at its documented default)."""

    def __init__(self, worlds: WorldSet, draws: EffectDraws | None = None):
        self.worlds = worlds
        self.draws = draws
        self.input_data, _, _ = load_scenario_data(worlds.calibration_input)
        self.paths = [matching_paths(self.input_data, p.path, p.exclude) for p in worlds.params]
        self._check_world_one()

    def _check_world_one(self) -> None:
        """World 1 must be the calibrated baseline: an ensemble left from another calibration
        (or a baseline edited by hand) would put every scenario into the wrong worlds."""
        if 1 not in self.worlds.ids:
            return
        baseline, _, _ = load_scenario_data(self.worlds.baseline)
        k = self.worlds.ids.index(1)
        for path, value in self.values(k).items():
            try:
                current = _get(baseline, path)
            except (KeyError, TypeError):
                current = None
            if current != value:
                raise UserError(
                    f"{self.worlds.file}: world 1 does not match {self.worlds.baseline.name} at "
                    f"{'.'.join(path)} ({value!r} in the ensemble, {current!r} in the baseline): the ensemble "
                    "is from another calibration; run `make calibrate` again (or run without --worlds)")

    def values(self, k: int) -> dict[tuple[str, ...], object]:
        """Every calibrated key path and its value in the ``k``-th world of the set (0-based)."""
        data = apply_parameters(self.input_data, self.worlds.params, self.worlds.points[k])
        return {path: _as_written(_get(data, path)) for paths in self.paths for path in paths}

    def scenario_data(self, path: Path, k: int) -> tuple[dict, list[Path], dict]:
        """``load_scenario_data(path)`` with the ``k``-th world's calibrated values wherever the
        scenario inherits them from the baseline, and its draws of the effects the scenario does
        not set itself."""
        data, files, provenance = load_scenario_data(path)
        base = self.worlds.baseline.resolve()
        resolved = [f.resolve() for f in files]
        if base not in resolved:
            raise UserError(f"{path}: does not extend {base.name}, so it has no place in the worlds of "
                            f"{self.worlds.file.name} (a scenario run over worlds must build on the calibrated "
                            f"baseline of {self.worlds.year})")
        own = set(resolved[resolved.index(base) + 1:])  # the scenario and the files between it and the baseline
        for key, value in self.values(k).items():
            setter = provenance.get(key)
            if setter is not None and Path(setter).resolve() in own:
                continue  # the scenario's own change stays
            _set(data, key, value)
        if self.draws is not None:
            self.draws.apply(data, provenance, self.worlds.ids[k])
        return data, files, provenance

    def points(self) -> tuple[list[str], np.ndarray]:
        """The inputs that tell the worlds apart and their values [world, input]: the calibrated
        parameters, then the interventions' effects, drawn or at their defaults (recorded beside the
        results; the sensitivity's inputs)."""
        names = [p.name for p in self.worlds.params]
        if self.draws is None:
            effects = uncertain_effects()
            table = np.tile([e.default_value for e in effects], (len(self.worlds), 1))
            return [*names, *(e.name for e in effects)], np.hstack([self.worlds.points, table])
        return [*names, *self.draws.names], np.hstack([self.worlds.points, self.draws.table(self.worlds.ids)])

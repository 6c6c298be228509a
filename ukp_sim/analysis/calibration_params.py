"""Calibration parameters on scenario data: find the keys a parameter's path pattern names and set
or scale their values (the scenario data stay plain dicts until the loader builds a Scenario)."""
from __future__ import annotations

import copy
import fnmatch

import numpy as np

from ukp_sim.base.errors import UserError
from ukp_sim.config.calibration_file import CalParameter


# ---------------------------------------------------------------------------------------------
# Setting parameters on scenario data
# ---------------------------------------------------------------------------------------------
def matching_paths(data: dict, pattern: str, exclude: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Key paths in ``data`` matching a dotted pattern where ``*`` matches one key."""
    parts = pattern.split(".")
    found: list[tuple[str, ...]] = []

    def walk(node, i, prefix):
        if i == len(parts):
            found.append(prefix)
            return
        if not isinstance(node, dict):
            return
        for key in node:
            if fnmatch.fnmatchcase(str(key), parts[i]):
                if prefix == ("municipalities",) and key in exclude:
                    continue
                walk(node[key], i + 1, (*prefix, str(key)))

    walk(data, 0, ())
    return found


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        data = data[key]
    return data


def _set(data: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def apply_parameters(data: dict, params: tuple[CalParameter, ...] | list[CalParameter],
                     values: np.ndarray) -> dict:
    """A copy of scenario data with each parameter set (or scaled) to its value."""
    out = copy.deepcopy(data)
    for p, v in zip(params, values):
        paths = matching_paths(out, p.path, p.exclude)
        if not paths:
            raise UserError(f"calibration parameter '{p.name}': no key matches '{p.path}' in the scenario")
        for path in paths:
            base = _get(data, path)
            new = float(v) if p.mode == "set" else float(base) * float(v)
            if p.integer:
                new = int(round(new))
                if p.mode == "scale" and base > 0:
                    new = max(1, new)
            _set(out, path, new)
    return out


# ---------------------------------------------------------------------------------------------
# Simulating candidates
# ---------------------------------------------------------------------------------------------

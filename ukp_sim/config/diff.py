"""What a what-if changes against the file it extends: the changed values, key path by key path.

Both sides are the checked scenarios (defaults and [municipality_defaults] applied), so the diff
shows the values the model will use, not only the lines of the file. ``ukp-sim validate`` prints
it, so a planner sees at once whether the what-if changes what they meant (and nothing else).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from ukp_sim.base.errors import ScenarioError
from ukp_sim.config.loader import load_scenario, load_scenario_data

_SKIP = {"name", "description", "source_files", "content_hash"}  # differ in every what-if
MISSING = object()


def changed_leaves(parent: Any, child: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(key path, parent value, child value) for every leaf that differs; a value present on one
    side only is ``MISSING`` on the other. Dataclasses and dicts are walked, anything else is a leaf."""
    if dataclasses.is_dataclass(parent) and type(parent) is type(child):
        parent, child = ({f.name: getattr(x, f.name) for f in dataclasses.fields(x)} for x in (parent, child))
    if isinstance(parent, dict) and isinstance(child, dict):
        out = []
        for key in [*parent, *(k for k in child if k not in parent)]:
            if not prefix and key in _SKIP:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            out += changed_leaves(parent.get(key, MISSING), child.get(key, MISSING), path)
        return out
    return [] if parent == child else [(prefix, parent, child)]


def whatif_changes(path: str | Path, child: Any = None) -> tuple[Path | None, list[tuple[str, Any, Any]]]:
    """The file ``path`` extends and the values it changes; (None, []) for a file with no parent.
    ``child`` is the already loaded scenario of ``path``, if the caller has it."""
    _, files, _ = load_scenario_data(path)
    if len(files) < 2:
        return None, []
    parent_file = Path(files[-2])
    try:
        parent = load_scenario(parent_file)
        child = child if child is not None else load_scenario(path)
    except ScenarioError:  # a parent that is not a scenario on its own: compare the merged data
        parent, child = load_scenario_data(parent_file)[0], load_scenario_data(path)[0]
    return parent_file, changed_leaves(parent, child)


def _show(v: Any) -> str:
    if v is MISSING:
        return "(not set)"
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, int, float)):
        return str(v)
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if dataclasses.is_dataclass(v):
        v = dataclasses.asdict(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_show(x)}" for k, x in v.items()) + "}"
    return repr(v)


def validate_diff_lines(path: str | Path, child: Any = None, max_lines: int = 40) -> list[str]:
    """The lines ``ukp-sim validate`` prints for a what-if: `key.path: parent value → new value`."""
    parent, changes = whatif_changes(path, child)
    if parent is None:
        return []
    if not changes:
        return [f"no value differs from {parent.name}"]
    lines = [f"changes against {parent.name} ({len(changes)} value{'s' if len(changes) != 1 else ''}):"]
    lines += [f"  {where}: {_show(old)} → {_show(new)}" for where, old, new in changes[:max_lines]]
    if len(changes) > max_lines:
        lines.append(f"  ... and {len(changes) - max_lines} more")
    return lines

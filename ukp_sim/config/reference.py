"""Generate ``docs/scenario_reference.md`` from the schema, so the reference cannot drift.

The prose lives in ``reference_template.md``; each ``{{table:Class}}`` there becomes a table of
that schema dataclass's fields: type, default, allowed values (from the field's rules) and
meaning (its ``doc``). Rules the schema cannot express (sums, orderings) are added from
``EXTRA``. Regenerate with::

    python -m ukp_sim.config.reference > docs/scenario_reference.md

``tests/test_config_reference.py`` fails when the committed file differs from the output.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from pathlib import Path

from ukp_sim.base.dates import WEEKDAYS
from ukp_sim.base.distributions import Dist
from ukp_sim.config import scenario as schema

TEMPLATE = Path(__file__).with_name("reference_template.md")
# Cross-field rules the loader checks, shown with the field they concern (class, field).
EXTRA = {
    ("Hospital", "season_profile"): "not all 0", ("Hospital", "weekday_profile"): "not all 0",
    ("Hospital", "declaration_hours"): "first < second", ("Hospital", "declaration_weekdays"): "not empty",
    ("Patients", "cfs_distribution"): "sum 1", ("Reception", "weekdays"): "not empty",
    ("Reception", "open_hour"): "< `close_hour`", ("KorttidUnitSpec", "opens"): "before `closes` if both are given",
    ("CalendarSpec", "summer_holiday"): "valid `MM-DD`", ("CalendarSpec", "christmas"): "valid `MM-DD`",
    ("Costs", "dognpris"): "keys are 4-digit years, e.g. `\"2023\"`; values ≥ 0; at least one",
    ("InitialState", "korttid_occupied"): "≤ the municipality's total `beds`",
    ("InitialState", "long_term_waiting"): "≤ `korttid_occupied`; 0 unless `korttid.outcomes.long_term` > 0",
}
SKIP = {("Scenario", f) for f in ("period", "hospital", "patients", "readmission", "municipalities", "initial_state",
                                  "calendar", "costs", "kpi", "interventions")} | {("Municipality", "name")}


def _unwrap(hint):
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)][0]
    return hint


def _num(x) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return f"{x:,}" if isinstance(x, int) and abs(x) >= 10_000 else str(x)


def _type(name: str, hint, meta) -> str:
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    if hint is Dist:
        return "duration (**hours**)" if "hours" in name else "duration (days)"
    if dataclasses.is_dataclass(hint):
        return "table (below)"
    if origin is dict:
        val = _unwrap(typing.get_args(hint)[1])
        return "table of units (below)" if dataclasses.is_dataclass(val) else f"table name → {_type('', val, {})}"
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if meta.get("choices") == WEEKDAYS:
            return "weekdays"
        word = {float: "numbers", int: "whole numbers", str: "texts"}[item]
        return f"list of {meta['length']} {word}" if "length" in meta else f"list of {word}"
    return {int: "whole number", float: "number", bool: "true/false", str: "text", dt.date: "date"}[hint]


def _default(fld) -> str:
    if fld.metadata.get("required"):
        return "**required**"
    if fld.default is dataclasses.MISSING:
        return "see below"
    d = fld.default
    if d is None:
        return "none"
    if isinstance(d, Dist):
        return f"{d.kind}, mean {d.mean}, cv {d.cv}"
    if dataclasses.is_dataclass(d):
        return "see below"
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, str):
        return f'`"{d}"`'
    if isinstance(d, tuple):
        if d == WEEKDAYS:
            return "all seven"
        if len(d) > 2 and len(set(d)) == 1:
            return f"all {d[0]}"
        return "[" + ", ".join(f'"{x}"' if isinstance(x, str) else str(x) for x in d) + "]"
    return f"{d:,}" if isinstance(d, int) and abs(d) >= 10_000 else str(d)


def _allowed(cls_name: str, name: str, hint, meta) -> str:
    parts = []
    lo, hi = meta.get("min"), meta.get("max")
    if "choices" in meta:
        parts.append("weekday names" if tuple(meta["choices"]) == WEEKDAYS
                     else ", ".join(f"`{c}`" for c in meta["choices"]))
    elif lo is not None and hi is not None:
        parts.append(f"{_num(lo)}–{_num(hi)}" if lo >= 0 else f"{_num(lo)} to {_num(hi)}")
    elif lo is not None:
        parts.append(f"≥ {_num(lo)}")
    elif hi is not None:
        parts.append(f"≤ {_num(hi)}")
    if "min_nonzero" in meta:
        parts.append(f"0 or ≥ {meta['min_nonzero']}")
    if parts and typing.get_origin(_unwrap(hint)) is tuple and "choices" not in meta:
        parts[0] = "each " + parts[0]
    if (cls_name, name) in EXTRA:
        parts.append(EXTRA[(cls_name, name)])
    return "; ".join(parts)


def table(cls: type) -> str:
    """The Markdown table of one schema dataclass."""
    hints = typing.get_type_hints(cls)
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    if cls is schema.Scenario:
        rows.append("| `extends` | text (a file path) | none | | the scenario this file builds on; see "
                    "[Merging](#merging-extends-and-municipality_defaults) |")
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal") or (cls.__name__, f.name) in SKIP:
            continue
        doc = re.sub(r"\s+", " ", f.metadata.get("doc", "")).replace("|", "\\|")
        rows.append(f"| `{f.name}` | {_type(f.name, hints[f.name], f.metadata)} | {_default(f)} | "
                    f"{_allowed(cls.__name__, f.name, hints[f.name], f.metadata)} | {doc} |")
    return "\n".join(rows)


def reference() -> str:
    """The whole reference page."""
    classes = {"Dist": Dist,
               **{n: getattr(schema, n) for n in dir(schema) if dataclasses.is_dataclass(getattr(schema, n))}}
    return re.sub(r"\{\{table:(\w+)\}\}", lambda m: table(classes[m.group(1)]), TEMPLATE.read_text(encoding="utf-8"))


if __name__ == "__main__":  # pragma: no cover
    print(reference(), end="")

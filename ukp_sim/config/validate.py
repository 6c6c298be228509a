"""One validator for every configuration file kind: plain TOML data -> frozen dataclasses.

The dataclasses are the schema (fields made with ``ukp_sim.base.fields``): unknown keys are
refused with "did you mean", types are checked, ``nan``/``inf`` are refused everywhere, and the
``min``/``max``/``choices``/``length`` rules in each field's metadata are enforced. It knows no
particular schema, so scenario, study, calibration-target and KPI-target files (and the
intervention plug-ins' schemas, wherever they live) all go through it and all fail with the
same one-line ``file: key.path: problem (fix: ...)`` message.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
import types
import typing
from pathlib import Path
from typing import Any

from ukp_sim.base.errors import ScenarioError


def did_you_mean(name: str, known, cutoff: float = 0.6) -> str | None:
    """The known name closest to ``name``: a case-insensitive match first, then a spelling one."""
    known = [str(k) for k in known]
    same = [k for k in known if k.casefold() == str(name).casefold()]
    if same:
        return same[0]
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=cutoff)
    return close[0] if close else None


class Builder:
    """Builds a dataclass from plain data, checking every key and value; errors name the file
    that set the value (``provenance``: key path -> file, from following ``extends``)."""

    def __init__(self, file: Path, provenance: dict | None = None):
        self.file = file
        self.provenance = provenance or {}

    def fail(self, where: str, problem: str, fix: str = "") -> typing.NoReturn:
        raise ScenarioError(self.origin(where), where, problem, fix)

    def origin(self, where: str) -> Path:
        """The file that set ``where`` (or its nearest enclosing table); a municipality's key
        that came from [municipality_defaults] is traced there."""
        parts = tuple(p for p in re.sub(r"\[\d+\]", "", where).split(".") if p)
        own = next((parts[:n] for n in range(len(parts), 0, -1) if parts[:n] in self.provenance), None)
        if parts[:1] == ("municipalities",) and len(parts) > 2:
            rest = parts[2:]
            default = next((("municipality_defaults", *rest[:n]) for n in range(len(rest), 0, -1)
                            if ("municipality_defaults", *rest[:n]) in self.provenance), None)
            # the deeper match says more; a municipality's own value overrides a default on a tie
            if default is not None and (own is None or len(default) - 1 > len(own) - 2):
                return self.provenance[default]
        if own is not None:
            return self.provenance[own]
        return self.file

    def build(self, cls: type, data: Any, where: str, overrides: dict | None = None):
        if not isinstance(data, dict):
            self.fail(where, f"must be a table, got {_describe(data)}", f"write [{where}] with its keys")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
        for key in data:
            if key not in fields:
                self.unknown_key(key, list(fields), where)
        kwargs = dict(overrides or {})
        for name, fld in fields.items():
            if name in kwargs:
                continue
            path = f"{where}.{name}" if where else name
            if name in data:
                kwargs[name] = self.value(hints[name], data[name], path, fld.metadata)
            elif fld.metadata.get("required"):
                self.fail(path, "is missing", f"add `{name} = ...` ({fld.metadata.get('doc', '')})")
        return cls(**kwargs)

    def unknown_key(self, key: str, known: list[str], where: str) -> typing.NoReturn:
        close = did_you_mean(key, known)
        path = f"{where}.{key}" if where else key
        hint = f"did you mean '{close}'?" if close else (
            f"known keys here: {', '.join(sorted(known))}" if known else "this table takes no keys yet"
        )
        self.fail(path, f"unknown key '{key}'", hint)

    def value(self, hint: Any, raw: Any, where: str, meta: typing.Mapping) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.value(args[0], raw, where, meta)
        if dataclasses.is_dataclass(hint):
            return self.build(hint, raw, where)
        if origin is dict:
            _, val_type = typing.get_args(hint)
            if not isinstance(raw, dict):
                self.fail(where, f"must be a table, got {_describe(raw)}")
            if meta.get("key_field"):  # each entry's key is also one of its fields (not written in it)
                return {str(k): self.build(_unwrap_optional(val_type), v, f"{where}.{k}", {meta["key_field"]: str(k)})
                        for k, v in raw.items()}
            return {str(k): self.value(val_type, v, f"{where}.{k}", meta) for k, v in raw.items()}
        if origin is tuple:
            (item_type, _) = typing.get_args(hint)
            if not isinstance(raw, list):
                self.fail(where, f"must be a list [...], got {_describe(raw)}", "write it as [a, b, ...]")
            if "length" in meta and len(raw) != meta["length"]:
                self.fail(where, f"must have {meta['length']} values, has {len(raw)}")
            if dataclasses.is_dataclass(item_type):
                return tuple(self.build(item_type, x, f"{where}[{i}]") for i, x in enumerate(raw))
            return tuple(self.scalar(item_type, x, f"{where}[{i}]", meta) for i, x in enumerate(raw))
        return self.scalar(hint, raw, where, meta)

    def scalar(self, hint: Any, raw: Any, where: str, meta: typing.Mapping) -> Any:
        if hint is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                self.fail(where, f"must be a number, got {_describe(raw)}")
            val = float(raw)
            if not math.isfinite(val):
                self.fail(where, f"must be a finite number, got {raw}")
        elif hint is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                if isinstance(raw, float) and raw.is_integer():
                    raw = int(raw)
                else:
                    self.fail(where, f"must be a whole number, got {_describe(raw)}")
            val = raw
        elif hint is bool:
            if not isinstance(raw, bool):
                self.fail(where, f"must be true or false, got {_describe(raw)}")
            val = raw
        elif hint is str:
            if not isinstance(raw, str):
                self.fail(where, f"must be text in quotes, got {_describe(raw)}")
            val = raw
        elif hint is dt.date:
            if isinstance(raw, dt.datetime):
                raw = raw.date()
            if isinstance(raw, str):
                try:
                    raw = dt.date.fromisoformat(raw)
                except ValueError:
                    self.fail(where, f"'{raw}' is not a date", "write a date as 2023-01-01 (no quotes)")
            if not isinstance(raw, dt.date):
                self.fail(where, f"must be a date, got {_describe(raw)}", "write a date as 2023-01-01")
            val = raw
        else:  # pragma: no cover - a schema error, not a user error
            raise TypeError(f"unsupported schema type {hint!r} at {where}")
        if "choices" in meta and val not in meta["choices"]:
            close = did_you_mean(str(val), meta["choices"])
            hint_text = f"did you mean '{close}'?" if close else "one of: " + ", ".join(map(str, meta["choices"]))
            self.fail(where, f"'{val}' is not allowed", hint_text)
        if "min" in meta and isinstance(val, (int, float)) and val < meta["min"]:
            self.fail(where, f"is {val}, below its minimum {meta['min']}", meta.get("doc", ""))
        if "min_nonzero" in meta and isinstance(val, (int, float)) and 0 < val < meta["min_nonzero"]:
            self.fail(where, f"is {val}: give 0 or at least {meta['min_nonzero']}", meta.get("doc", ""))
        if "max" in meta and isinstance(val, (int, float)) and val > meta["max"]:
            self.fail(where, f"is {val}, above its maximum {meta['max']}", meta.get("doc", ""))
        return val


def _describe(raw: Any) -> str:
    if isinstance(raw, dict):
        return "a table"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, str):
        return f"text '{raw}'"
    return f"{type(raw).__name__} {raw!r}"


def _unwrap_optional(hint):
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)][0]
    return hint


def build(cls: type, data: Any, file: str | Path, where: str = "", provenance: dict | None = None):
    """``data`` checked against the dataclass ``cls`` and frozen into it."""
    return Builder(Path(file), provenance).build(cls, data, where)

"""Read a scenario TOML file (following ``extends``), check it against the schema, freeze it.

Every problem is a ``ScenarioError`` naming the file, the key path and the fix. The file is data:
it is read with ``tomllib`` and nothing in it is evaluated.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path

from ukp_sim.base.dates import parse_month_day, period_bounds
from ukp_sim.base.errors import ScenarioError
from ukp_sim.config.hints import syntax_hint
from ukp_sim.config.scenario import (
    DESTINATIONS,
    KORTTID_OUTCOMES,
    Municipality,
    Scenario,
)
from ukp_sim.config.validate import Builder, _describe, did_you_mean
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import ScenarioCheck

_Builder = Builder  # the old private name, kept for callers outside config

SUM_TOLERANCE = 1e-6
_BUNDLED = Path(__file__).resolve().parent.parent / "data"


# ---------------------------------------------------------------------------------------------
# Reading files and resolving `extends`
# ---------------------------------------------------------------------------------------------
def read_toml(path: Path) -> dict:
    """Parse one TOML file; syntax errors name the line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, "", "file not found", "check the path") from None
    except IsADirectoryError:
        raise ScenarioError(path, "", "is a directory, not a scenario file", "give a .toml file") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, "", f"not UTF-8 text ({exc.reason})", "save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        twice = re.search(r"Cannot (?:declare|overwrite a value)[^(]*?\(((?:'[^']*',?\s*)+)\)", msg)
        if twice:
            keys = re.findall(r"'([^']*)'", twice.group(1))
            where = ".".join(keys)
            what = (f"municipality '{keys[1]}'" if keys[:1] == ["municipalities"] and len(keys) == 2
                    else f"the table [{where}]")
            raise ScenarioError(path, where, f"{what} is defined twice ({msg})",
                                "keep one definition and merge the values into it") from None
        line = re.search(r"at line (\d+)", msg)
        hint = syntax_hint(text, int(line.group(1))) if line else None
        if hint:
            raise ScenarioError(path, *hint) from None
        raise ScenarioError(path, "", f"TOML syntax error: {msg}", "correct the TOML syntax at that line") from None


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` on top of ``base``: tables merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _key_paths(data: dict, prefix: tuple = ()):
    """Every key path in nested tables, tables and leaves alike."""
    for key, value in data.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, dict):
            yield from _key_paths(value, path)


def resolve_extends(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[dict, list[Path], dict]:
    """The merged data of ``path`` and everything it extends, the files read (base first), and
    for every key path the file that set it last (so errors name the right file)."""
    path = path.resolve() if path.exists() else path
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(_chain[-1], "extends", f"circular extends: {cycle}", "remove one of the extends")
    data = read_toml(path)
    parent_ref = data.pop("extends", None)
    own = {key_path: path for key_path in _key_paths(data)}
    if parent_ref is None:
        return data, [path], own
    if not isinstance(parent_ref, str):
        raise ScenarioError(path, "extends", "must be a file name in quotes", 'write extends = "baseline_2023.toml"')
    parent = (path.parent / parent_ref)
    if not parent.exists() and (_BUNDLED / parent_ref).exists():
        parent = _BUNDLED / parent_ref
    if not parent.exists():
        raise ScenarioError(
            path, "extends", f"the file it extends, '{parent_ref}', does not exist (looked in {path.parent})",
            "give a path relative to this file",
        )
    base, files, provenance = resolve_extends(parent, (*_chain, path))
    return deep_merge(base, data), [*files, path], {**provenance, **own}


# ---------------------------------------------------------------------------------------------
# Cross-field checks the schema cannot express
# ---------------------------------------------------------------------------------------------
def _check_sum(b: _Builder, where: str, shares: dict[str, float]) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        parts = " + ".join(f"{k} {v:g}" for k, v in shares.items())
        b.fail(where, f"shares must sum to 1, they sum to {total:.6g} ({parts})", "adjust them so they add up to 1")


def _check_scenario(b: _Builder, s: Scenario) -> None:
    _check_sum(b, "patients.cfs_distribution", {f"CFS{i + 1}": v for i, v in enumerate(s.patients.cfs_distribution)})
    h0, h1 = s.hospital.declaration_hours
    if not h0 < h1:
        b.fail("hospital.declaration_hours", f"from {h0} must be before to {h1}")
    if not s.hospital.declaration_weekdays:
        b.fail("hospital.declaration_weekdays", "is empty: no patient would ever be declared ready")
    if sum(s.hospital.season_profile) <= 0:
        b.fail("hospital.season_profile", "all zero: no admissions")
    if sum(s.hospital.weekday_profile) <= 0:
        b.fail("hospital.weekday_profile", "all zero: no admissions")
    for label, spec in (("summer_holiday", s.calendar.summer_holiday), ("christmas", s.calendar.christmas)):
        for i, text in enumerate(spec):
            try:
                parse_month_day(text)
            except (ValueError, TypeError):
                b.fail(f"calendar.{label}[{i}]", f"'{text}' is not a month-day", "write it as MM-DD, e.g. 07-01")
    for year in s.costs.dognpris:
        if not re.fullmatch(r"\d{4}", year):
            b.fail(f"costs.dognpris.{year}", "keys must be years", 'write "2023" = 5508')
        if s.costs.dognpris[year] < 0:
            b.fail(f"costs.dognpris.{year}", "a price cannot be negative")
    if not s.costs.dognpris:
        b.fail("costs.dognpris", "no year given", 'add at least one year, e.g. "2023" = 5508')
    if not s.municipalities:
        b.fail("municipalities", "no municipality given", "add at least one [municipalities.NAME] table")
    frail = sum(p for i, p in enumerate(s.patients.cfs_distribution, start=1) if i >= s.patients.frail_cfs)

    def check_mix(where: str, share: float, odds_ratio: float, ratio_key: str) -> None:
        """With odds ratio 0 the frail never get the outcome, so the mean share cannot exceed
        the share of robust patients."""
        if odds_ratio == 0 and share > 1 - frail + SUM_TOLERANCE:
            b.fail(where, f"{share:g} cannot be reached when {ratio_key} = 0 and {frail:.0%} of patients are frail",
                   f"lower it to at most {1 - frail:.3g} or raise {ratio_key}")

    for name, m in s.municipalities.items():
        check_mix(f"municipalities.{name}.destination.korttid", m.destination.korttid,
                  s.patients.frail_korttid_odds_ratio, "patients.frail_korttid_odds_ratio")
    for dest in DESTINATIONS:
        check_mix(f"readmission.probability.{dest}", getattr(s.readmission.probability, dest),
                  s.readmission.frail_odds_ratio, "readmission.frail_odds_ratio")
    for name, m in s.municipalities.items():
        where = f"municipalities.{name}"
        _check_sum(b, f"{where}.destination", {d: getattr(m.destination, d) for d in DESTINATIONS})
        _check_sum(b, f"{where}.korttid.outcomes", {o: getattr(m.korttid.outcomes, o) for o in KORTTID_OUTCOMES})
        if not m.reception.weekdays:
            b.fail(f"{where}.reception.weekdays", "is empty: the municipality would never receive anyone",
                   'list at least one day, e.g. ["mon", "tue", "wed", "thu", "fri"]')
        if not m.reception.open_hour < m.reception.close_hour:
            b.fail(f"{where}.reception", f"open_hour {m.reception.open_hour} must be before close_hour "
                   f"{m.reception.close_hour}")
        if m.office.enabled and not (m.office.weekdays and m.office.open_hour < m.office.close_hour):
            b.fail(f"{where}.office", "the office is never open (no weekdays, or open_hour not before close_hour)",
                   'e.g. weekdays = ["mon", "tue", "wed", "thu", "fri"], open_hour = 8.0, close_hour = 15.5')
        for uname, u in m.korttid.units.items():
            if u.opens and u.closes and not u.opens < u.closes:
                b.fail(f"{where}.korttid.units.{uname}", f"opens {u.opens} is not before closes {u.closes}")
        beds = sum(u.beds for u in m.korttid.units.values())
        if m.destination.korttid > 0 and beds == 0:
            b.fail(f"{where}.korttid.units", "no korttidsplass, yet destination.korttid > 0",
                   "add beds or set destination.korttid = 0")
        if m.destination.home_new_services > 0 and m.home_service_intake_per_day == 0:
            b.fail(f"{where}.home_service_intake_per_day", "is 0, yet destination.home_new_services > 0",
                   "give the intake capacity or set destination.home_new_services = 0")
        if m.korttid.outcomes.long_term > 0 and m.long_term_vacancies_per_year == 0:
            b.fail(f"{where}.long_term_vacancies_per_year", "is 0, yet korttid.outcomes.long_term > 0",
                   "give the vacancies or set korttid.outcomes.long_term = 0")
    for name, init in s.initial_state.items():
        if name not in s.municipalities:
            close = difflib.get_close_matches(name, list(s.municipalities), n=1)
            b.fail(f"initial_state.{name}", f"'{name}' is not one of the municipalities",
                   f"did you mean '{close[0]}'?" if close else "use a name from [municipalities]")
        beds = sum(u.beds for u in s.municipalities[name].korttid.units.values())
        if init.korttid_occupied > beds:
            b.fail(f"initial_state.{name}.korttid_occupied",
                   f"{init.korttid_occupied} exceeds the municipality's {beds} korttidsplasser")
        if init.long_term_waiting > init.korttid_occupied:
            b.fail(f"initial_state.{name}.long_term_waiting",
                   f"{init.long_term_waiting} exceeds korttid_occupied ({init.korttid_occupied}): those waiting for a "
                   "long-term place are korttid residents", "raise korttid_occupied or lower long_term_waiting")
        if init.long_term_waiting and s.municipalities[name].korttid.outcomes.long_term == 0:
            b.fail(f"initial_state.{name}.long_term_waiting",
                   "is > 0, yet korttid.outcomes.long_term = 0 (no resident ever waits for a long-term place)",
                   "set long_term_waiting = 0 or give korttid.outcomes.long_term")
    _check_interventions(b, s)
    _check_intervention_starts(b, s)


def _check_intervention_starts(b: Builder, s: Scenario) -> None:
    """An enabled intervention whose `start` is on or after the end of the period never acts:
    refuse it (checked over any intervention table with `enabled` and `start`, plug-ins too)."""
    _, first, end = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
    tables = (s.interventions.items() if isinstance(s.interventions, Mapping)
              else ((f.name, getattr(s.interventions, f.name)) for f in dataclasses.fields(s.interventions)))
    for name, iv in tables:
        start = getattr(iv, "start", None)
        if getattr(iv, "enabled", False) is True and isinstance(start, dt.date) and start >= end:
            last = end - dt.timedelta(days=1)
            b.fail(f"interventions.{name}.start",
                   f"{start} is after the period ends ({first} to {last}): the intervention would never act",
                   f"give a start before {end}, or lengthen [period] (years)")


def _check_interventions(b: _Builder, s: Scenario) -> None:
    """Each [interventions] table's rules the schema cannot express (names that must exist, rules
    across fields or tables): its plug-in's ``check``, enabled or not; the first problem fails."""
    tables = [(p, params) for p in registry.plugins()
              if (params := getattr(s.interventions, p.id, None)) is not None]
    added: dict[str, list[str]] = {}
    for plugin, params in tables:
        for name, units in plugin.added_units(params).items():
            added.setdefault(name, []).extend(units)
    scenario = ScenarioCheck(s, added)
    for plugin, params in tables:
        for where, problem, fix in plugin.check(params, scenario):
            b.fail(f"interventions.{plugin.id}" + (f".{where}" if where else ""), problem, fix)


def load_scenario_data(path: str | Path) -> tuple[dict, list[Path], dict]:
    """The file's data after following `extends` and merging [municipality_defaults] into each
    municipality: plain dicts, not yet validated (calibration edits values at this stage); the
    files read; and the file that set each key path."""
    path = Path(path)
    data, files, provenance = resolve_extends(path)
    b = _Builder(path, provenance)
    defaults = data.pop("municipality_defaults", {})
    if not isinstance(defaults, dict):
        b.fail("municipality_defaults", "must be a table")
    _check_defaults_keys(b, defaults)
    raw_munis = data.get("municipalities", {})
    if isinstance(raw_munis, dict):
        merged = {}
        for name, m in raw_munis.items():
            if not isinstance(m, dict):
                b.fail(f"municipalities.{name}", f"must be a table, got {_describe(m)}")
            if "name" in m:
                b.fail(f"municipalities.{name}.name", "is taken from the table's key", "remove `name`")
            merged[name] = {**deep_merge(defaults, m), "name": name}
        data["municipalities"] = merged
        if len(files) > 1:
            _check_new_municipalities(b, merged)
    data.setdefault("initial_state", {})
    return data, files, provenance


def _check_new_municipalities(b: Builder, munis: dict) -> None:
    """A what-if's [municipalities.melhus] (wrong case) or [municipalities.Trondhjem] (misspelt)
    makes a new, incomplete municipality; name the one the user meant instead of a missing key."""
    required = [f.name for f in dataclasses.fields(Municipality) if f.metadata.get("required") and f.name != "name"]
    complete = [n for n, m in munis.items() if all(k in m for k in required)]
    for name, m in munis.items():
        if name in complete:
            continue
        close = did_you_mean(name, complete)
        if close:
            b.fail(f"municipalities.{name}", f"no municipality '{name}' in the parent; did you mean '{close}'?",
                   f"write [municipalities.{close}...] (names are case-sensitive); a new municipality needs a full "
                   f"table ({', '.join(k for k in required if k not in m)} missing)")


def build_scenario(data: dict, path: str | Path, files: list[Path] | tuple = (),
                   provenance: dict | None = None) -> Scenario:
    """Check merged scenario data against the schema and the cross-field rules; freeze it."""
    b = _Builder(Path(path), provenance)
    scenario = b.build(Scenario, data, "")
    _check_scenario(b, scenario)
    canonical = json.dumps(data, sort_keys=True, default=str).encode()
    return dataclasses.replace(
        scenario,
        source_files=tuple(str(f) for f in files),
        content_hash=hashlib.sha256(canonical).hexdigest(),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge, validate and freeze a scenario file."""
    data, files, provenance = load_scenario_data(path)
    return build_scenario(data, path, files, provenance)


def _check_defaults_keys(b: _Builder, defaults: dict, cls: type = Municipality, where: str = "municipality_defaults"):
    """Unknown keys in [municipality_defaults] are reported there, not in every municipality."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)} - ({"name", "population"} if cls is Municipality else set())
    for key, value in defaults.items():
        if key not in fields:
            b.unknown_key(key, sorted(fields), where)
        target = _unwrap_optional(hints[key])
        if not isinstance(value, dict):
            continue
        if dataclasses.is_dataclass(target):
            _check_defaults_keys(b, value, target, f"{where}.{key}")
        elif typing.get_origin(target) is dict:
            item = _unwrap_optional(typing.get_args(target)[1])
            if dataclasses.is_dataclass(item):
                for name, entry in value.items():
                    if isinstance(entry, dict):
                        _check_defaults_keys(b, entry, item, f"{where}.{key}.{name}")


def _unwrap_optional(hint):
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(hint) if a is not type(None)][0]
    return hint


def scenario_to_dict(s: Scenario) -> dict:
    """A JSON-ready dict of the scenario (for run.json)."""
    return json.loads(json.dumps(dataclasses.asdict(s), default=str))

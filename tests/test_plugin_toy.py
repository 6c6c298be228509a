"""A new intervention is one module plus one registry line (CONTRIBUTING.md).

The toy intervention below is a whole plug-in, as a module under ``ukp_sim/interventions/``
would hold it: schema, hooks, flag. The test registers it for its duration, loads a scenario file
that switches it on, runs the model and checks its effect against the same run with it off
(common random numbers). Also: a plug-in's ``check`` hook reports problems of its table as the
loader reports any mistake; the model and the config layer name no intervention; and every
registered plug-in declares what the schema, the records and the reports need.
"""
from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.base.errors import ScenarioError
from ukp_sim.base.fields import _f
from ukp_sim.config import scenario as schema
from ukp_sim.config.loader import load_scenario
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import ENABLED_DOC, RAMP_DOC, Episode, Intervention, Ramp, ScenarioCheck
from ukp_sim.sim.model import Model, period_bounds
from ukp_sim.sim.records import END_DEATH, END_HOME

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "one_municipality.toml"
FLAG_TOY = 32


# ---- the toy plug-in: what a module in ukp_sim/interventions/ holds ----------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class SlowPlanningShortStays:
    """A toy: municipal planning takes ``delay_hours`` longer, korttid stays last x ``korttid_factor``."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2022, 4, 1), "first declaration (and korttid start) day affected")
    ramp_up_days: int = _f(0, RAMP_DOC, min=0, max=3650)
    delay_hours: float = _f(12.0, "extra hours of municipal planning", min=0, max=240)
    korttid_factor: float = _f(0.5, "korttid stays starting from `start` last x this", min=0.1, max=1)


class Toy(Intervention):
    id = "toy"
    Params = SlowPlanningShortStays
    title = "a toy for CONTRIBUTING.md"
    labels = {"nb": "Leketøy", "en": "Toy"}
    colour = "#777777"
    flags = {"toy": FLAG_TOY}

    def __init__(self, params: SlowPlanningShortStays, model):
        super().__init__(params, model)
        self.ramp = Ramp.of(params, model.cal.origin)

    def declaration(self, ep: Episode) -> None:
        if self.ramp(ep.t_declared) > 0.0:
            ep.decision += self.params.delay_hours / 24.0
            ep.flags |= FLAG_TOY

    def korttid_los(self, unit, los: float, t: float) -> float:
        return los * self.params.korttid_factor if self.ramp(t) > 0.0 else los


# ---- the test ----------------------------------------------------------------------------------
def _toy_file(tmp_path: Path) -> Path:
    p = tmp_path / "toy.toml"
    p.write_text(f'extends = "{SMALL.as_posix()}"\nname = "toy"\n'
                 "[interventions.toy]\nenabled = true\ndelay_hours = 12\nkorttid_factor = 0.5\n", encoding="utf-8")
    return p


def test_a_registered_toy_intervention_acts_through_its_hooks(tmp_path):
    schema_before = schema.Interventions
    path = _toy_file(tmp_path)
    with registry.registered(Toy):
        assert "toy" in schema.INTERVENTION_IDS
        on = load_scenario(path)
        assert on.interventions.toy.enabled and on.interventions.toy.delay_hours == 12.0
        iv = on.interventions
        off = dataclasses.replace(on, interventions=dataclasses.replace(iv, toy=dataclasses.replace(iv.toy, enabled=False)))
        a, b = Model(on, 3, 0).run(), Model(off, 3, 0).run()
    t0 = float((dt.date(2022, 4, 1) - period_bounds(on)[0]).days)

    # Planning: first admissions are declared at the same times in both runs (drawn up front).
    first = np.flatnonzero((a.stays["episode"] == 1) & ~a.stays["initial"])
    first = first[first < b.n_stays]
    assert np.array_equal(a.stays["patient"][first], b.stays["patient"][first])
    decl = a.stays["t_declared"][first]
    both = np.isfinite(decl) & np.isfinite(b.stays["t_declared"][first])
    assert np.array_equal(decl[both], b.stays["t_declared"][first][both])
    late, early = both & (decl >= t0), both & (decl < t0)
    assert late.sum() > 100 and early.sum() > 10
    plan_a = a.stays["t_ready"][first] - decl
    plan_b = b.stays["t_ready"][first] - b.stays["t_declared"][first]
    assert np.allclose(plan_a[late], plan_b[late] + 0.5, rtol=0, atol=1e-9)
    assert np.array_equal(plan_a[early], plan_b[early])
    flags = a.stays["intervention_flags"][first]
    assert np.all(flags[late] == FLAG_TOY) and np.all(flags[early] == 0)
    assert not np.any(b.stays["intervention_flags"])

    # Korttid stays that start after the start date and end home or in death last half as long.
    def mean_stay(rec):
        k = rec.korttid
        sel = (k["t_start"] >= t0 + 1) & np.isin(k["end"], (END_HOME, END_DEATH))
        return float(np.mean(k["t_end"][sel] - k["t_start"][sel]))

    assert mean_stay(a) < 0.65 * mean_stay(b)

    # The registration is undone: the schema is the one before, the toy's table is unknown again.
    assert schema.Interventions is schema_before and "toy" not in schema.INTERVENTION_IDS
    assert "toy" not in registry.ids()
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.where == "interventions.toy" and "unknown key" in str(err.value)


def test_registering_checks_the_plugin():
    class Taken(Toy):
        id = "discharge_team"

    class NoSchema(Toy):
        id = "toy"
        Params = dict

    for plugin, error in ((Taken, ValueError), (NoSchema, TypeError), (dict, TypeError)):
        with pytest.raises(error):
            with registry.registered(plugin):
                pass
    assert "toy" not in registry.ids() and "toy" not in schema.INTERVENTION_IDS


# ---- a plug-in checks its own table when the scenario is loaded --------------------------------
class CheckedToy(Toy):
    """The toy with a rule its schema cannot express, across its table and [municipalities]."""

    @classmethod
    def check(cls, params: SlowPlanningShortStays, scenario: ScenarioCheck):
        yield from scenario.municipality("korttid_factor", "Testbyen")  # a name that never exists
        if params.enabled and params.delay_hours == 0 and params.korttid_factor == 1:
            yield ("", "changes nothing", "give delay_hours or korttid_factor")


def test_a_plugins_check_hook_fails_the_load_with_file_place_and_fix(tmp_path):
    path = _toy_file(tmp_path)
    with registry.registered(CheckedToy):
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
    e = err.value
    assert (Path(e.file), e.where) == (path, "interventions.toy.korttid_factor")  # the first problem
    assert "'Testbyen' is not one of the municipalities" in str(e) and "did you mean 'Testby'?" in str(e)

    class NothingToy(CheckedToy):
        @classmethod
        def check(cls, params, scenario):
            return [p for p in super().check(params, scenario) if p[0] != "korttid_factor"]

    path.write_text(path.read_text(encoding="utf-8").replace("delay_hours = 12", "delay_hours = 0")
                    .replace("korttid_factor = 0.5", "korttid_factor = 1"), encoding="utf-8")
    with registry.registered(NothingToy):
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert err.value.where == "interventions.toy" and "(fix: give delay_hours or korttid_factor)" in str(err.value)
        path.write_text(path.read_text(encoding="utf-8").replace("enabled = true", "enabled = false"), encoding="utf-8")
        assert not load_scenario(path).interventions.toy.enabled  # the rule is only for a toy in use


# ---- the model and the config layer name no intervention --------------------------------------
def _namings(source: str, words: set[str], prose: bool = False) -> list[str]:
    """Where code (not docstrings or comments) names one of ``words``: a string constant, an
    identifier that contains a multi-word id (``bed_sharing``), an attribute of ``interventions``,
    or an import of an intervention module. With ``prose``, a one-word id (``capacity``) counts
    in a string only as the whole string or in a key path (``interventions.capacity.korttid``):
    the config layer's messages and field docs speak of capacity and frailty in words."""
    found = []
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    long_ids = {w for w in words if "_" in w}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            hit = {w for w in words if re.search(rf"\b{w}\b" if "_" in w or not prose else
                                                 rf"^{w}$|\.{w}\b|\b{w}\.\w", node.value)}
            found += [f"string {node.value!r}" for _ in hit]
        elif isinstance(node, ast.Attribute):
            if node.attr in words and isinstance(node.value, ast.Attribute) and node.value.attr == "interventions":
                found.append(f"attribute interventions.{node.attr}")
            found += [f"name {node.attr}" for w in long_ids if w in node.attr]
        elif isinstance(node, ast.Name):
            found += [f"name {node.id}" for w in long_ids if w in node.id]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"import {m}" for m in mods
                      if m.startswith("ukp_sim.interventions.") and m.split(".")[2] not in ("base", "registry")]
    return found


def _intervention_words() -> set[str]:
    words = set(registry.ids())
    for p in registry.plugins():
        words |= set(p.stay_uniforms) | set(p.flags)
    return words


def test_the_model_names_no_intervention():
    words = _intervention_words()
    sim = sorted((ROOT / "ukp_sim" / "sim").glob("*.py"))
    assert len(sim) >= 7
    for path in sim:
        assert _namings(path.read_text(encoding="utf-8"), words) == [], path.name


def test_the_config_layer_names_no_intervention():
    """The loader checks each [interventions] table through its plug-in's ``check`` hook, the
    schema is built from the registry: no file of the config layer names an intervention."""
    words = _intervention_words()
    config = sorted((ROOT / "ukp_sim" / "config").glob("*.py"))
    assert len(config) >= 9 and any(p.name == "loader.py" for p in config)
    for path in config:
        assert _namings(path.read_text(encoding="utf-8"), words, prose=True) == [], path.name
    # The plug-ins' schema classes are still importable from the schema module, found by name.
    for plugin in registry.plugins():
        assert getattr(schema, plugin.Params.__name__) is plugin.Params
    assert getattr(schema, "ExtraBeds").__module__ == "ukp_sim.interventions.capacity"
    assert not hasattr(schema, "FLAG_TEAM") and not hasattr(schema, "Toy")


def test_the_naming_check_sees_an_intervention_named():
    words = _intervention_words()
    assert _namings("if s.interventions.capacity.enabled:\n    pass\n", words)
    assert _namings("u = streams('admission/team_referral/x')\n", words)
    assert _namings("self.bed_sharing = None\n", words)
    assert _namings("from ukp_sim.interventions.escalation_plan import Plugin\n", words)
    assert not _namings('"""Beds under bed sharing and escalation_plan."""\nunit.capacity = 3\n', words)
    for prose in (False, True):
        assert _namings('b.fail("interventions.capacity.korttid", "is empty")\n', words, prose)
        assert _namings('t = ("capacity", "team")\n', words, prose)
        assert _namings('b.fail(".bed_sharing.municipalities", "at least two")\n', words, prose)
    assert _namings('fix = "give the intake capacity or a frailty threshold"\n', words)
    assert not _namings('fix = "give the intake capacity or a frailty threshold"\n', words, prose=True)


# ---- every plug-in declares what the schema, the records and the reports need ------------------
def test_every_plugin_is_complete_and_distinct():
    plugins = registry.plugins()
    assert [f.name for f in dataclasses.fields(schema.Interventions)] == list(registry.ids())
    bits, uniforms = [], []
    for p in plugins:
        assert p.id and p.title and set(p.labels) == {"nb", "en"} and re.fullmatch(r"#[0-9A-Fa-f]{6}", p.colour)
        params = p.Params()
        assert dataclasses.is_dataclass(params) and not params.enabled and Ramp.of(params, dt.date(2024, 1, 1))
        with pytest.raises(dataclasses.FrozenInstanceError):
            params.enabled = True
        bits += list(p.flags.values())
        uniforms += list(p.stay_uniforms)
    assert len(set(bits)) == len(bits) and all(b > 0 and b & (b - 1) == 0 for b in bits)
    assert len(set(uniforms)) == len(uniforms)
    # today's flag bits and stream names, which stored records and common random numbers rely on
    flags = {name: bit for p in plugins for name, bit in p.flags.items()}
    assert flags == {"team": 1, "team_home": 2, "early_assessment": 4, "frailty": 8, "shared_bed": 16}
    assert uniforms == ["team_referral", "team_home", "early_assessment", "frailty_known"]

"""The interventions' estimated effects drawn per plausible world (analysis/intervention_draws.py)."""
import re
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.analysis.intervention_draws import EffectDraws, uncertain_effects
from ukp_sim.analysis.worlds import WorldMaker, load_worlds
from ukp_sim.config.loader import build_scenario, load_scenario_data

DOCS = Path(__file__).resolve().parent.parent / "docs" / "interventions.md"


def _what_if(tmp_path: Path, name: str, body: str) -> Path:
    f = tmp_path / name
    f.write_text(f'extends = "baseline_2023.toml"\nname = "{name[:-5]}"\n{body}', encoding="utf-8")
    return f


def _documented_ranges() -> dict[str, tuple[float, float]]:
    """'intervention.key' -> the plausible range of docs/interventions.md's tables."""
    out, section = {}, None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        head = re.match(r"## \d+\. `(\w+)`", line)
        if head:
            section = head.group(1)
        row = re.match(r"\| `(\w+)` \| [^|]* \| ([\d.]+)–([\d.]+)( per unit)? \|", line)
        if row and section:
            out[f"{section}.{row.group(1)}"] = (float(row.group(2)), float(row.group(3)))
    return out


def test_every_drawn_effect_has_the_range_the_docs_give_it_and_its_default_inside():
    """The schema's ranges are the ones docs/interventions.md documents (one source of truth
    checked against the other), and no default lies outside its own plausible range."""
    docs = _documented_ranges()
    effects = uncertain_effects()
    names = {e.name for e in effects}
    assert {"discharge_team.readmission_risk_ratio", "escalation_plan.lag_days", "efficient_korttid.reduction",
            "bed_sharing.offered_share", "frailty_pathway.notice_hours"} <= names
    assert "discharge_team.capacity" not in names  # a decision, not an estimate: never drawn
    for e in effects:
        assert (e.low, e.high) == docs[e.name], e.name
        assert e.low <= e.default_value <= e.high, e.name


def test_world_one_keeps_the_defaults_and_the_others_form_a_latin_hypercube():
    draws = EffectDraws.draw(31, seed=7)
    effects = draws.effects
    np.testing.assert_array_equal(draws.values(1), [e.default_value for e in effects])
    table = draws.table(range(2, 32))
    lo = np.array([e.low for e in effects])
    hi = np.array([e.high for e in effects])
    assert ((table >= lo) & (table <= hi)).all()
    # Latin hypercube: each effect's 30 draws fall one in each of 30 equal strata of its range
    strata = np.floor((table - lo) / (hi - lo) * 30 - 1e-6).clip(0, 29)
    for j in range(len(effects)):
        assert len(set(strata[:, j])) >= 29  # rounding to 4 digits may move one onto a stratum edge
    # reproducible from the seed, another seed draws otherwise; a world's draw does not depend on
    # which other worlds run
    np.testing.assert_array_equal(EffectDraws.draw(31, seed=7).table([5, 9]), table[[3, 7]])
    assert not np.array_equal(EffectDraws.draw(31, seed=8).table([5]), draws.table([5]))
    with pytest.raises(ValueError, match="not among the ensemble's worlds"):
        draws.values(32)


def test_draws_reach_enabled_interventions_only_and_never_a_value_the_what_if_sets(tmp_path, calibrated_year):
    worlds = load_worlds(calibrated_year, 2023)
    maker = WorldMaker(worlds, EffectDraws.draw(worlds.numbered, seed=3))
    team = _what_if(tmp_path, "team.toml", "[interventions.discharge_team]\nenabled = true\ncoverage = 0.9\nstart = 2022-03-01\n"
                    "[interventions.efficient_korttid]\nenabled = true\n"
                    "[interventions.frailty_pathway]\nenabled = false\n")
    drawn = maker.draws.values(2)
    index = {n: i for i, n in enumerate(maker.draws.names)}

    data = maker.scenario_data(team, 1)[0]["interventions"]  # world 2
    assert data["discharge_team"]["coverage"] == 0.9  # the what-if's own setting
    assert data["discharge_team"]["readmission_risk_ratio"] == drawn[index["discharge_team.readmission_risk_ratio"]]
    assert data["efficient_korttid"]["reduction"] == {
        "Trondheim/Øya helsehus": drawn[index["efficient_korttid.reduction"]]}  # the default's units, drawn
    assert data["frailty_pathway"] == {"enabled": False}  # off: untouched
    assert "bed_sharing" not in data
    # world 1: the scenario exactly as written, whatever is drawn elsewhere
    assert maker.scenario_data(team, 0)[0] == load_scenario_data(team)[0]
    # without draws every world keeps the defaults
    plain = WorldMaker(worlds).scenario_data(team, 1)[0]["interventions"]["discharge_team"]
    assert "readmission_risk_ratio" not in plain
    # the drawn scenario loads (its values pass the schema's checks); the one-municipality scenario
    # has no Øya helsehus, so efficient_korttid's default units are left out here
    world2 = maker.scenario_data(team, 1)[0]
    del world2["interventions"]["efficient_korttid"]
    scenario = build_scenario(world2, team)
    assert scenario.interventions.discharge_team.readmission_risk_ratio == drawn[
        index["discharge_team.readmission_risk_ratio"]]


def test_the_worlds_inputs_are_the_calibrated_parameters_then_the_drawn_effects(calibrated_year):
    worlds = load_worlds(calibrated_year, 2023)
    names, points = WorldMaker(worlds, EffectDraws.draw(worlds.numbered, seed=3)).points()
    assert names[:2] == ["beds", "intake"] and len(names) == 2 + len(uncertain_effects())
    assert points.shape == (3, len(names))
    np.testing.assert_array_equal(points[:, :2], worlds.points)
    fixed_names, fixed = WorldMaker(worlds).points()  # without draws: the defaults, in every world
    assert fixed_names == names and (fixed[:, 2:] == points[0, 2:]).all()

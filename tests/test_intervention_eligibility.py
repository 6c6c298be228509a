"""Who the episode plug-ins act on: eligibility (CFS threshold *or* new to municipal services) and
that each plug-in adds its record flag to the others' instead of replacing them.

Found by mutation testing of ``ukp_sim/interventions`` (tests/mutation/mutmut_interventions.sh):
swapping ``or``/``and`` in the eligibility rule and ``flags |=`` for ``flags =`` survived every
other test. The tests go through scenario files and the records only. CFS runs from 1 to 9, so
``cfs_min = 10`` makes nobody eligible by frailty: then exactly the patients new to services are
eligible when ``new_to_services = true``, and nobody when it is false. Coverage 1, a team that
never fills, and a start before the simulation does, so every eligible UKP episode is covered.
"""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.interventions.discharge_team import FLAG_TEAM
from ukp_sim.interventions.early_assessment import FLAG_EARLY_ASSESSMENT
from ukp_sim.interventions.frailty_pathway import FLAG_FRAILTY
from ukp_sim.sim.model import Model

SEED = 11

TEAM = """
[interventions.discharge_team]
enabled = true
start = 2021-01-01
capacity = 100000
cfs_min = {cfs_min}
new_to_services = {new}
coverage = 1.0
"""
EARLY = """
[interventions.early_assessment]
enabled = true
start = 2021-01-01
cfs_min = {cfs_min}
new_to_services = {new}
coverage = 1.0
"""
FRAILTY = """
[interventions.frailty_pathway]
enabled = true
start = 2021-01-01
cfs_min = 1
coverage = 1.0
"""


def declared_stays(write_scenario, body: str):
    rec = Model(load_scenario(write_scenario(body)), SEED, 0).run()
    st = rec.stays
    declared = ~np.isnan(np.asarray(st["t_declared"], dtype=float))
    flags = np.asarray(st["intervention_flags"])[declared]
    new = np.asarray(st["new_to_services"], dtype=bool)[declared]
    assert declared.sum() > 200 and 0 < new.sum() < new.size  # both kinds of patient are there
    return flags, new


@pytest.mark.parametrize("template, flag", [(TEAM, FLAG_TEAM), (EARLY, FLAG_EARLY_ASSESSMENT)],
                         ids=["discharge_team", "early_assessment"])
def test_new_to_services_alone_makes_a_patient_eligible(write_scenario, template, flag):
    flags, new = declared_stays(write_scenario, template.format(cfs_min=10, new="true"))
    covered = (flags & flag) > 0
    np.testing.assert_array_equal(covered, new)


@pytest.mark.parametrize("template, flag", [(TEAM, FLAG_TEAM), (EARLY, FLAG_EARLY_ASSESSMENT)],
                         ids=["discharge_team", "early_assessment"])
def test_nobody_is_eligible_when_neither_rule_applies(write_scenario, template, flag):
    flags, _ = declared_stays(write_scenario, template.format(cfs_min=10, new="false"))
    assert not ((flags & flag) > 0).any()


def test_each_plug_in_adds_its_flag_to_the_others(write_scenario):
    body = TEAM.format(cfs_min=1, new="true") + EARLY.format(cfs_min=1, new="true") + FRAILTY
    flags, _ = declared_stays(write_scenario, body)
    every = FLAG_TEAM | FLAG_EARLY_ASSESSMENT | FLAG_FRAILTY
    assert ((flags & every) == every).all()  # everyone eligible and covered by all three


def test_team_places_limit_who_is_followed(write_scenario):
    """A team with no places follows nobody; one place follows some, fewer than an endless team."""
    counts = {}
    for capacity in (0, 1, 100000):
        body = TEAM.format(cfs_min=1, new="true").replace("capacity = 100000", f"capacity = {capacity}")
        flags, _ = declared_stays(write_scenario, body)
        counts[capacity] = int(((flags & FLAG_TEAM) > 0).sum())
    assert counts[0] == 0 < counts[1] < counts[100000] == flags.size


def test_team_takes_only_the_municipalities_it_covers():
    """``municipalities = ["Melhus"]``: only Melhus' UKP are followed (on the 2023 baseline)."""
    import dataclasses
    from pathlib import Path

    base = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline_2023.toml")
    iv = base.interventions
    team = dataclasses.replace(iv.discharge_team, enabled=True, start=base.period.start, capacity=100000,
                               cfs_min=1, coverage=1.0, municipalities=("Melhus",))
    s = dataclasses.replace(base, interventions=dataclasses.replace(iv, discharge_team=team))
    st = Model(s, SEED, 0).run().stays
    followed = (np.asarray(st["intervention_flags"]) & FLAG_TEAM) > 0
    muni = np.asarray(st["municipality"])
    melhus = list(s.municipalities).index("Melhus")
    assert followed.sum() > 20 and set(muni[followed].tolist()) == {melhus}

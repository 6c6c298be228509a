"""What each plug-in's ``check`` hook refuses in its [interventions] table: place, problem, fix.

The loader names no intervention; each plug-in checks the names and cross-field rules of its own
table (``Intervention.check``, worded with ``ScenarioCheck``). These are the messages a user sees;
they go through a scenario file and ``load_scenario`` like any mistake. The small scenario has
one municipality, Testby, with one unit, ``korttid``; the tests add Nord and Sor.
"""
from __future__ import annotations

import pytest

from ukp_sim.base.errors import ScenarioError
from ukp_sim.config.loader import load_scenario
from ukp_sim.interventions import registry
from ukp_sim.interventions.base import ScenarioCheck

NORD_SOR = "".join(f"""
[municipalities.{name}]
population = 30000
home_service_intake_per_day = 1.0
long_term_vacancies_per_year = 200
destination = {{ korttid = 0.8, home_new_services = 0.1, home_no_new_services = 0.1 }}
reception = {{ weekdays = ["mon", "tue", "wed", "thu", "fri"], close_hour = 20.0 }}

[municipalities.{name}.korttid]
los = {{ kind = "lognormal", mean = 20.0, cv = 0.8 }}
outcomes = {{ home = 0.9, long_term = 0.05, death = 0.05 }}
units = {{ korttid = {{ beds = 10 }} }}
""" for name in ("Nord", "Sor"))

ANY = "use a name from [municipalities]"


@pytest.mark.parametrize("table, where, problem, fix", [
    ('discharge_team]\nmunicipalities = ["Nord", "Testby", "Nord"]', "discharge_team.municipalities",
     "names Nord more than once", "list each municipality once"),
    ('discharge_team]\nmunicipalities = ["Testby", "Oslo"]', "discharge_team.municipalities[1]",
     "'Oslo' is not one of the municipalities", ANY),
    ('discharge_team]\nmunicipalities = ["Nordd"]', "discharge_team.municipalities[0]",
     "'Nordd' is not one of the municipalities", "did you mean 'Nord'?"),
    ('bed_sharing]\nenabled = true\nstart = 2022-03-01\nmunicipalities = ["Sor"]', "bed_sharing.municipalities",
     "sharing needs at least two municipalities", "list two or more, or leave the list empty for all"),
    ('bed_sharing]\nmunicipalities = ["Testby", "Sor"]\noffered_share_by = { Nord = 0.2 }',
     "bed_sharing.offered_share_by.Nord", "'Nord' does not take part in the sharing",
     "add it to bed_sharing.municipalities or remove this line"),
    ('bed_sharing]\noffered_share_by = { Oslo = 0.2 }', "bed_sharing.offered_share_by.Oslo",
     "'Oslo' is not one of the municipalities", ANY),
    ('bed_sharing]\nmunicipalities = ["Sor", "Sor"]', "bed_sharing.municipalities", "names Sor more than once",
     "list each municipality once"),
    ('escalation_plan]\nmunicipalities = ["Testby"]\nlevels = { Nord = { threshold = 2, beds = 1 } }',
     "escalation_plan.levels.Nord", "'Nord' has no escalation plan",
     "add it to escalation_plan.municipalities or remove this table"),
    ('escalation_plan]\nmunicipalities = ["Testby", "Oslo"]', "escalation_plan.municipalities[1]",
     "'Oslo' is not one of the municipalities", ANY),
    ('escalation_plan]\npeak_months = [12, 1, 12]', "escalation_plan.peak_months", "a month is listed more than once", ""),
    ('efficient_korttid]\nreduction = { "Testby/korttidd" = 0.1 }', 'efficient_korttid.reduction.Testby/korttidd',
     "'korttidd' is not a korttid unit of Testby", "did you mean 'Testby/korttid'?"),
    ('efficient_korttid]\nreduction = { "Testby/k" = 0.1 }', 'efficient_korttid.reduction.Testby/k',
     "'k' is not a korttid unit of Testby", "did you mean 'Testby/korttid'?"),  # a prefix
    ('efficient_korttid]\nreduction = { "Testby/xyz" = 0.1 }', 'efficient_korttid.reduction.Testby/xyz',
     "'xyz' is not a korttid unit of Testby",
     "use 'Municipality/Unit' with one of: korttid, or just 'Testby' for all its units"),
    ('efficient_korttid]\nreduction = { Oslo = 0.1 }', "efficient_korttid.reduction.Oslo",
     "'Oslo' is not one of the municipalities", ANY),  # a key of the user's is checked when off too
    ('efficient_korttid]\nreduction = { "Trondheim/Øya helsehus" = 0.2, Oslo = 0.1 }', "efficient_korttid.reduction.Oslo",
     "'Oslo' is not one of the municipalities", ANY),  # ... after the default's key, which is not
    ('efficient_korttid]\nenabled = true\nstart = 2022-03-01', 'efficient_korttid.reduction.Trondheim/Øya helsehus',
     "the default reduction names 'Trondheim', which is not one of the municipalities",
     "give the reduction for this scenario's units, e.g. reduction = { \"Municipality/Unit\" = 0.2 }"),
    ('capacity.korttid.Oslo]\nbeds = 2', "capacity.korttid.Oslo", "'Oslo' is not one of the municipalities", ANY),
    ('capacity.korttid.Nord]\nbeds = 2\nunit = ""', "capacity.korttid.Nord.unit", "is empty",
     'name the unit, e.g. unit = "ekstra"'),
    ('capacity]\nhome_intake_per_day = { \"Sör\" = 0.5 }', "capacity.home_intake_per_day.Sör",
     "'Sör' is not one of the municipalities", "did you mean 'Sor'?"),
    ('capacity]\nweekend_reception = ["Sor", "Nord", "Sor", "Nord"]', "capacity.weekend_reception",
     "names Nord, Sor more than once", "list each municipality once"),
    ('capacity]\nweekend_reception = ["Testby", "Oslo"]', "capacity.weekend_reception[1]",
     "'Oslo' is not one of the municipalities", ANY),
])
def test_a_plugin_refuses_its_table(write_scenario, table, where, problem, fix):
    path = write_scenario(NORD_SOR + f"[interventions.{table}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    e = err.value
    assert (e.file, e.where, e.problem, e.fix) == (str(path), f"interventions.{where}", problem, fix)


@pytest.mark.parametrize("table", [
    'bed_sharing]\nmunicipalities = ["Sor"]',  # one participant is refused only when sharing is on
    'bed_sharing]\nenabled = true\nstart = 2022-03-01\noffered_share_by = { Nord = 0.2 }',  # empty list: all
    'escalation_plan]\nlevels = { Nord = { threshold = 2, beds = 1 } }',  # empty list: all have a plan
    'efficient_korttid]\nenabled = true\nstart = 2022-03-01\nreduction = { Nord = 0.1, "Testby/korttid" = 0.2 }',
    'capacity.korttid.Nord]\nbeds = 2\n[interventions.efficient_korttid]\nreduction = { "Nord/ekstra" = 0.1 }',
])
def test_a_plugin_accepts_its_table(write_scenario, table):
    load_scenario(write_scenario(NORD_SOR + f"[interventions.{table}\n"))


def test_units_a_plugin_adds_are_known_to_the_others_checks(write_scenario):
    """efficient_korttid may name the unit capacity adds; its suggestions list it too."""
    body = NORD_SOR + '[interventions.capacity.korttid.Nord]\nbeds = 2\nunit = "nytt"\n'
    bad = write_scenario(body + '[interventions.efficient_korttid]\nreduction = { "Nord/xyz" = 0.1 }\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert err.value.fix == "use 'Municipality/Unit' with one of: korttid, nytt, or just 'Nord' for all its units"
    capacity = registry.get("capacity")
    params = load_scenario(write_scenario(body)).interventions.capacity
    assert capacity.added_units(params) == {"Nord": ["nytt"]}
    assert all(p.added_units(p.Params()) == {} for p in registry.plugins())


def test_scenario_check_lists_every_problem_in_order(small_scenario):
    """The hook yields every problem; the loader reports the first."""
    sc = ScenarioCheck(small_scenario, {"Testby": ["ny"]})
    assert sc.names == ["Testby"] and sc.units("Testby") == ["korttid", "ny"]
    assert sc.municipality("x", "Testby") == []
    assert sc.listed("m", ("Oslo", "Testby", "Oslo")) == [
        ("m[0]", "'Oslo' is not one of the municipalities", ANY),
        ("m[2]", "'Oslo' is not one of the municipalities", ANY),
        ("m", "names Oslo more than once", "list each municipality once")]
    assert sc.within("t", ["Testbyy", "Testby"], {"Testby"}, "is out", "fix it") == [
        ("t.Testbyy", "'Testbyy' is not one of the municipalities", "did you mean 'Testby'?"),
        ("t.Testbyy", "'Testbyy' is out", "fix it")]
    assert sc.within("t", ["Testby"], set(), "is out", "fix it") == [("t.Testby", "'Testby' is out", "fix it")]
    plugin = registry.get("escalation_plan")
    params = plugin.Params(municipalities=("Oslo",), peak_months=(1, 1))
    assert [p[0] for p in plugin.check(params, sc)] == ["municipalities[0]", "peak_months"]
    plugin = registry.get("efficient_korttid")
    params = plugin.Params(reduction={"Oslo": 0.1, "Testby/xyz": 0.1, "Testby/ny": 0.2})
    assert [p[:2] for p in plugin.check(params, sc)] == [
        ("reduction.Oslo", "'Oslo' is not one of the municipalities"),
        ("reduction.Testby/xyz", "'xyz' is not a korttid unit of Testby")]

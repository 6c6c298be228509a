"""Reading scenario files: the baseline, what-ifs that extend it, and every mistake a planner makes.

Each error case writes a small TOML file into ``tmp_path`` that ``extends`` the real baseline (by
absolute path) and checks the ScenarioError: the key path in ``.where``, a message that says what is
wrong and how to fix it, and the file's path in the printed text.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ukp_sim.base.distributions import Dist
from ukp_sim.base.errors import ScenarioError, UserError
from ukp_sim.config.loader import deep_merge, load_scenario, read_toml, resolve_extends
from ukp_sim.config.scenario import Scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "prior" / "baseline_prior.toml"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def toml_str(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def whatif(tmp_path: Path, body: str, name: str = "whatif.toml") -> Path:
    """A what-if file extending the real baseline, with ``body`` after the extends line."""
    path = tmp_path / name
    path.write_text(f"extends = {toml_str(str(BASELINE))}\n{body}", encoding="utf-8")
    return path


def scenario_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert str(path) in str(err), "the printed error must name the file"
    assert err.problem, "the error must say what is wrong"
    return err


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


# --------------------------------------------------------------------------------------------
# The baseline
# --------------------------------------------------------------------------------------------
def test_baseline_loads_as_a_scenario(baseline):
    assert isinstance(baseline, Scenario)
    assert baseline.name == "baseline"
    assert baseline.period.start == dt.date(2022, 1, 1)
    assert baseline.hospital.somatic_beds == 746
    assert baseline.source_files == (str(BASELINE),)
    assert re.fullmatch(r"[0-9a-f]{64}", baseline.content_hash)


def test_baseline_population_is_the_st_olavs_catchment(baseline):
    assert baseline.population == 327_574
    assert sum(m.population for m in baseline.municipalities.values()) == 327_574


def test_baseline_has_the_twenty_member_municipalities(baseline):
    assert len(baseline.municipalities) == 20
    assert {"Trondheim", "Melhus", "Indre Fosen", "Ørland", "Røros", "Tydal"} <= set(baseline.municipalities)
    for key, m in baseline.municipalities.items():
        assert m.name == key  # the name comes from the table key


def test_trondheim_has_oya_helsehus_with_125_beds(baseline):
    units = baseline.municipalities["Trondheim"].korttid.units
    assert units["Øya helsehus"].beds == 125
    assert units["Øya helsehus"].los == Dist("lognormal", 25.0, 0.8)
    assert units["korttid"].beds == 102
    assert units["korttid"].los is None  # falls back to the municipality's korttid.los
    # the 72 rehabilitation places Trondheim rehabiliteringssenter replaces on 28 Aug 2023 are a unit of their own
    assert units["Søbstad og Nidarvoll"].beds == 72
    assert units["Søbstad og Nidarvoll"].los == Dist("lognormal", 21.0, 0.6)


def test_baseline_shares_add_up(baseline):
    assert sum(baseline.patients.cfs_distribution) == pytest.approx(1.0)
    for m in baseline.municipalities.values():
        d = m.destination
        assert d.korttid + d.home_new_services + d.home_no_new_services == pytest.approx(1.0)


def test_baseline_dognpris_by_year_and_growth(baseline):
    assert baseline.dognpris(2022) == 5306
    assert baseline.dognpris(2026) == pytest.approx(5980 * 1.04)


def test_municipality_defaults_reach_municipalities_that_do_not_override_them(baseline):
    melhus = baseline.municipalities["Melhus"]
    assert melhus.decision_hours == Dist("lognormal", 3.0, 1.5)
    assert (melhus.destination.korttid, melhus.destination.home_new_services,
            melhus.destination.home_no_new_services) == (0.775, 0.15, 0.075)
    assert melhus.reception.weekdays == ("mon", "tue", "wed", "thu", "fri")
    assert melhus.reception.close_hour == 15.5
    assert melhus.korttid.los == Dist("lognormal", 20.0, 0.9)
    assert (melhus.korttid.outcomes.home, melhus.korttid.outcomes.long_term,
            melhus.korttid.outcomes.death) == (0.68, 0.22, 0.10)
    # the municipality's own inline korttid table merges with the defaults, not replaces them
    assert melhus.korttid.units["korttid"].beds == 24
    assert melhus.korttid.direct_admissions_per_year == 78


def test_a_partial_override_keeps_the_other_defaults(baseline):
    trondheim = baseline.municipalities["Trondheim"]
    # Trondheim overrides weekdays and hours of reception...
    assert trondheim.reception.weekdays == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert trondheim.reception.close_hour == 20.0
    # ...and keeps the defaults' other reception keys
    assert trondheim.reception.holiday_capacity_factor == 0.85
    assert trondheim.reception.closed_on_public_holidays is True


def test_changing_municipality_defaults_changes_every_municipality_that_uses_them(tmp_path, baseline):
    s = load_scenario(whatif(tmp_path, "[municipality_defaults.korttid.los]\nmean = 15.0\n"))
    for name, m in s.municipalities.items():
        assert m.korttid.los == Dist("lognormal", 15.0, 0.9), name
    # a unit with its own los is not affected
    assert s.municipalities["Trondheim"].korttid.units["Øya helsehus"].los.mean == 25.0


# --------------------------------------------------------------------------------------------
# What-ifs
# --------------------------------------------------------------------------------------------
FIVE_LINE_WHATIF = """\
name = "more korttid Melhus"
description = "Melhus gets ten more short-term beds"
[municipalities.Melhus.korttid.units.korttid]
beds = 34
"""


def test_five_line_whatif_changes_only_melhus_korttid_beds(tmp_path, baseline):
    path = whatif(tmp_path, FIVE_LINE_WHATIF)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5
    s = load_scenario(path)

    assert s.municipalities["Melhus"].korttid.units["korttid"].beds == 34
    assert s.name == "more korttid Melhus"
    # Melhus is otherwise the same
    expected_melhus = dataclasses.replace(
        baseline.municipalities["Melhus"],
        korttid=dataclasses.replace(
            baseline.municipalities["Melhus"].korttid,
            units={"korttid": dataclasses.replace(baseline.municipalities["Melhus"].korttid.units["korttid"], beds=34)},
        ),
    )
    assert s.municipalities["Melhus"] == expected_melhus
    # every other municipality, and everything outside the municipalities, is unchanged
    assert list(s.municipalities) == list(baseline.municipalities)
    for name, m in baseline.municipalities.items():
        if name != "Melhus":
            assert s.municipalities[name] == m, name
    for f in dataclasses.fields(Scenario):
        if f.name not in ("name", "description", "municipalities", "source_files", "content_hash"):
            assert getattr(s, f.name) == getattr(baseline, f.name), f.name
    assert s.source_files == (str(BASELINE), str(path.resolve()))


def test_whatif_can_add_a_korttid_unit(tmp_path):
    s = load_scenario(whatif(tmp_path, '[municipalities.Melhus.korttid.units."Melhus helsetun"]\nbeds = 6\n'))
    units = s.municipalities["Melhus"].korttid.units
    assert units["korttid"].beds == 24 and units["Melhus helsetun"].beds == 6


def test_whatif_can_extend_by_a_relative_path(tmp_path):
    (tmp_path / "base.toml").write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[hospital]\nsomatic_beds = 800\n', encoding="utf-8")
    s = load_scenario(child)
    assert s.hospital.somatic_beds == 800
    assert s.population == 327_574


def test_extends_chains_over_several_files(tmp_path):
    a = whatif(tmp_path, "[hospital]\nsomatic_beds = 800\n", name="a.toml")
    b = tmp_path / "b.toml"
    b.write_text('extends = "a.toml"\n[municipalities.Tydal]\npopulation = 600\n', encoding="utf-8")
    s = load_scenario(b)
    assert s.hospital.somatic_beds == 800
    assert s.municipalities["Tydal"].population == 600
    assert s.population == 327_574 + 61
    assert s.source_files == (str(BASELINE), str(a.resolve()), str(b.resolve()))


def test_scenario_is_frozen(baseline):
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline.hospital.somatic_beds = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        baseline.municipalities["Melhus"].population = 1  # type: ignore[misc]


def test_content_hash_is_stable_when_reloaded(tmp_path, baseline):
    assert load_scenario(BASELINE).content_hash == baseline.content_hash
    path = whatif(tmp_path, FIVE_LINE_WHATIF)
    assert load_scenario(path).content_hash == load_scenario(path).content_hash


def test_content_hash_depends_on_content_not_on_where_the_file_lies(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    h1 = load_scenario(whatif(tmp_path / "one", FIVE_LINE_WHATIF)).content_hash
    h2 = load_scenario(whatif(tmp_path / "two", FIVE_LINE_WHATIF, name="other.toml")).content_hash
    assert h1 == h2


def test_content_hash_changes_when_a_value_changes(tmp_path, baseline):
    h34 = load_scenario(whatif(tmp_path, FIVE_LINE_WHATIF, name="a.toml")).content_hash
    h35 = load_scenario(whatif(tmp_path, FIVE_LINE_WHATIF.replace("34", "35"), name="b.toml")).content_hash
    assert h34 != h35
    assert baseline.content_hash not in (h34, h35)
    # a change in a municipality default also changes it
    h_def = load_scenario(whatif(tmp_path, "[municipality_defaults.reception]\nopen_hour = 9.0\n", name="c.toml"))
    assert h_def.content_hash != baseline.content_hash


def test_initial_state_within_the_beds_loads(tmp_path):
    s = load_scenario(whatif(tmp_path, "[initial_state.Melhus]\nkorttid_occupied = 24\nukp_waiting = 2\n"))
    assert s.initial_state["Melhus"].korttid_occupied == 24
    assert s.initial_state["Melhus"].ukp_waiting == 2


def test_baseline_without_initial_state_has_an_empty_one(baseline):
    assert baseline.initial_state == {}


# --------------------------------------------------------------------------------------------
# Mistakes, each with where it is and what to do
# --------------------------------------------------------------------------------------------
def test_toml_syntax_error_names_the_line(tmp_path):
    path = whatif(tmp_path, "[hospital]\nsomatic_beds = = 800\n")
    err = scenario_error(path)
    assert err.where == ""
    assert "TOML syntax error" in err.problem
    assert "line 3" in str(err)
    assert isinstance(err, UserError) and err.exit_code == 2


def test_unknown_top_level_key(tmp_path):
    err = scenario_error(whatif(tmp_path, 'nmae = "typo"\n'))
    assert err.where == "nmae"
    assert "unknown key 'nmae'" in err.problem
    assert "did you mean 'name'" in str(err)


def test_unknown_top_level_key_without_a_close_match_lists_the_known_keys(tmp_path):
    err = scenario_error(whatif(tmp_path, "zzzzzz = 1\n"))
    assert err.where == "zzzzzz"
    assert "known keys here" in err.fix
    assert "hospital" in err.fix and "municipalities" in err.fix


def test_misspelt_key_inside_a_korttid_unit_suggests_beds(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipalities.Melhus.korttid.units.korttid]\nbedz = 3\n"))
    assert err.where == "municipalities.Melhus.korttid.units.korttid.bedz"
    assert "unknown key 'bedz'" in err.problem
    assert "did you mean 'beds'" in str(err)


def test_unknown_key_in_a_municipalitys_korttid_table(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipalities.Melhus.korttid]\nbedz = 3\n"))
    assert err.where == "municipalities.Melhus.korttid.bedz"
    assert "unknown key 'bedz'" in err.problem
    assert "units" in err.fix  # says which keys the table does take


def test_misspelt_key_in_municipality_defaults_is_reported_there(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipality_defaults.reception]\nopen_hours = 9.0\n"))
    assert err.where == "municipality_defaults.reception.open_hours"
    assert "did you mean 'open_hour'" in str(err)


@pytest.mark.parametrize(
    "body, where",
    [
        pytest.param("[municipality_defaults.korttid.los]\nmeen = 15\n", "municipality_defaults.korttid.los.meen", id="korttid-los"),
        pytest.param("[municipality_defaults.decision_hours]\nkindd = 'gamma'\n", "municipality_defaults.decision_hours.kindd", id="decision-hours"),
    ],
)
def test_misspelt_key_in_a_default_duration_is_reported_in_municipality_defaults(tmp_path, body, where):
    # _check_defaults_keys: "Unknown keys in [municipality_defaults] are reported there, not in
    # every municipality" -- a planner who reads `municipalities.Trondheim...` looks in the wrong table.
    err = scenario_error(whatif(tmp_path, body))
    assert err.where == where
    assert "did you mean" in str(err)


def test_an_unknown_intervention_is_refused_with_the_known_ones(tmp_path):
    err = scenario_error(whatif(tmp_path, "[interventions]\nextra_beds = 5\n"))
    assert err.where == "interventions.extra_beds"
    assert "known keys here" in err.fix and "capacity" in err.fix


def test_a_misspelt_intervention_gets_a_did_you_mean(tmp_path):
    err = scenario_error(whatif(tmp_path, "[interventions.discharge_tem]\nenabled = true\n"))
    assert err.where == "interventions.discharge_tem"
    assert "discharge_team" in err.fix


def test_text_where_a_number_is_expected(tmp_path):
    err = scenario_error(whatif(tmp_path, '[hospital]\nadmissions_per_year = "many"\n'))
    assert err.where == "hospital.admissions_per_year"
    assert "must be a number" in err.problem
    assert "many" in err.problem


def test_fraction_where_a_whole_number_is_expected(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipalities.Melhus.korttid.units.korttid]\nbeds = 24.5\n"))
    assert err.where == "municipalities.Melhus.korttid.units.korttid.beds"
    assert "whole number" in err.problem


def test_true_false_is_not_a_number(tmp_path):
    err = scenario_error(whatif(tmp_path, "[hospital]\nsomatic_beds = true\n"))
    assert err.where == "hospital.somatic_beds"
    assert "whole number" in err.problem


def test_a_number_where_a_list_is_expected(tmp_path):
    err = scenario_error(whatif(tmp_path, "[hospital]\nseason_profile = 1.0\n"))
    assert err.where == "hospital.season_profile"
    assert "must be a list" in err.problem


def test_a_profile_of_the_wrong_length(tmp_path):
    err = scenario_error(whatif(tmp_path, "[hospital]\nweekday_profile = [1, 1, 1]\n"))
    assert err.where == "hospital.weekday_profile"
    assert "7 values" in err.problem and "has 3" in err.problem


def test_negative_beds(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipalities.Melhus.korttid.units.korttid]\nbeds = -3\n"))
    assert err.where == "municipalities.Melhus.korttid.units.korttid.beds"
    assert "-3" in err.problem and "minimum 0" in err.problem


def test_probability_above_one(tmp_path):
    err = scenario_error(whatif(tmp_path, "[readmission.probability]\nkorttid = 1.5\n"))
    assert err.where == "readmission.probability.korttid"
    assert "1.5" in err.problem and "maximum 1" in err.problem


def test_probability_below_zero(tmp_path):
    err = scenario_error(whatif(tmp_path, "[patients]\nterminal_share = -0.1\n"))
    assert err.where == "patients.terminal_share"
    assert "minimum 0" in err.problem


def test_misspelt_distribution_kind(tmp_path):
    err = scenario_error(whatif(tmp_path, '[municipality_defaults.korttid.los]\nkind = "lognormall"\n'))
    assert err.where.endswith("korttid.los.kind")
    assert "did you mean 'lognormal'" in str(err)


def test_destination_shares_that_do_not_sum_to_one(tmp_path):
    body = "[municipalities.Melhus.destination]\nkorttid = 0.5\nhome_new_services = 0.3\nhome_no_new_services = 0.1\n"
    err = scenario_error(whatif(tmp_path, body))
    assert err.where == "municipalities.Melhus.destination"
    assert "sum to 1" in err.problem
    assert "sum to 0.9" in err.problem  # says what they do sum to
    assert "korttid 0.5" in err.problem  # and shows the parts


def test_destination_default_that_does_not_sum_to_one_is_caught_in_the_first_municipality(tmp_path):
    err = scenario_error(whatif(tmp_path, "[municipality_defaults.destination]\nkorttid = 0.9\n"))
    assert err.where == "municipalities.Trondheim.destination"
    assert "sum to 1.125" in err.problem


def test_start_that_is_not_a_date(tmp_path):
    err = scenario_error(whatif(tmp_path, '[period]\nstart = "2022-13-45"\n'))
    assert err.where == "period.start"
    assert "'2022-13-45' is not a date" in err.problem
    assert "2023-01-01" in err.fix  # shows how to write one


def test_start_as_quoted_iso_text_is_accepted(tmp_path):
    s = load_scenario(whatif(tmp_path, '[period]\nstart = "2023-01-01"\n'))
    assert s.period.start == dt.date(2023, 1, 1)


def test_municipality_table_declared_twice(tmp_path):
    body = "[municipalities.Melhus]\npopulation = 1\n[municipalities.Melhus]\nlong_term_vacancies_per_year = 1\n"
    err = scenario_error(whatif(tmp_path, body))
    assert err.where == "municipalities.Melhus"
    assert "Melhus" in err.problem and "twice" in err.problem


def test_quoted_municipality_declared_twice_is_named(tmp_path):
    body = '[municipalities."Indre Fosen"]\npopulation = 1\n[municipalities."Indre Fosen"]\npopulation = 2\n'
    err = scenario_error(whatif(tmp_path, body))
    assert err.where == "municipalities.Indre Fosen"
    assert "'Indre Fosen'" in err.problem


def test_missing_extends_file(tmp_path):
    path = tmp_path / "whatif.toml"
    path.write_text('extends = "no_such_baseline_xyz.toml"\n', encoding="utf-8")
    err = scenario_error(path)
    assert err.where == "extends"
    assert "no_such_baseline_xyz.toml" in err.problem
    assert "does not exist" in err.problem
    assert str(tmp_path) in err.problem  # says where it looked


def test_extends_that_is_not_text(tmp_path):
    path = tmp_path / "whatif.toml"
    path.write_text("extends = 3\n", encoding="utf-8")
    err = scenario_error(path)
    assert err.where == "extends"


def test_circular_extends(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    err = info.value
    assert err.where == "extends"
    assert "circular" in err.problem
    assert "a.toml -> b.toml -> a.toml" in err.problem
    assert err.file == str(b.resolve())  # the file whose extends closes the circle


def test_a_file_that_extends_itself(tmp_path):
    a = tmp_path / "self.toml"
    a.write_text('extends = "self.toml"\n', encoding="utf-8")
    err = scenario_error(a)
    assert "circular" in err.problem


def test_missing_scenario_file(tmp_path):
    err = scenario_error(tmp_path / "nope.toml")
    assert "not found" in err.problem


def test_standalone_file_missing_a_required_table(tmp_path):
    path = tmp_path / "alone.toml"
    path.write_text('name = "alone"\n', encoding="utf-8")
    err = scenario_error(path)
    assert err.where == "period"
    assert "missing" in err.problem


def test_standalone_copy_of_baseline_missing_somatic_beds(tmp_path):
    text = BASELINE.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^somatic_beds = .*\n", "", text)
    assert n == 1
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    err = scenario_error(path)
    assert err.where == "hospital.somatic_beds"
    assert "missing" in err.problem
    assert "somatic_beds" in err.fix


def test_initial_state_for_an_unknown_municipality(tmp_path):
    err = scenario_error(whatif(tmp_path, "[initial_state.Melhs]\nkorttid_occupied = 3\n"))
    assert err.where == "initial_state.Melhs"
    assert "not one of the municipalities" in err.problem
    assert "did you mean 'Melhus'" in str(err)


def test_initial_korttid_occupancy_above_the_beds(tmp_path):
    err = scenario_error(whatif(tmp_path, "[initial_state.Melhus]\nkorttid_occupied = 30\n"))
    assert err.where == "initial_state.Melhus.korttid_occupied"
    assert "30" in err.problem and "24" in err.problem


def test_a_long_term_waiting_list_longer_than_the_residents_is_refused(tmp_path):
    err = scenario_error(whatif(tmp_path, "[initial_state.Melhus]\nkorttid_occupied = 10\nlong_term_waiting = 11\n"))
    assert err.where == "initial_state.Melhus.long_term_waiting"
    assert "11" in err.problem and "10" in err.problem


def test_a_long_term_waiting_list_without_long_term_outcomes_is_refused(tmp_path):
    body = ("[municipalities.Melhus.korttid.outcomes]\nhome = 0.9\nlong_term = 0.0\ndeath = 0.1\n"
            "[initial_state.Melhus]\nkorttid_occupied = 10\nlong_term_waiting = 2\n")
    err = scenario_error(whatif(tmp_path, body))
    assert err.where == "initial_state.Melhus.long_term_waiting"
    assert "long_term = 0" in err.problem


def test_name_inside_a_municipality_table_is_refused(tmp_path):
    err = scenario_error(whatif(tmp_path, '[municipalities.Melhus]\nname = "Melhus kommune"\n'))
    assert err.where == "municipalities.Melhus.name"


def test_bad_holiday_month_day(tmp_path):
    err = scenario_error(whatif(tmp_path, '[calendar]\nchristmas = ["12-22", "01-32"]\n'))
    assert err.where == "calendar.christmas[1]"
    assert "MM-DD" in err.fix


def test_error_text_has_file_where_problem_and_fix():
    err = ScenarioError("/tmp/x.toml", "hospital.somatic_beds", "is missing", "add it")
    assert str(err) == "/tmp/x.toml: hospital.somatic_beds: is missing (fix: add it)"
    assert str(ScenarioError("/tmp/x.toml", "", "file not found")) == "/tmp/x.toml: file not found"


# --------------------------------------------------------------------------------------------
# The building blocks
# --------------------------------------------------------------------------------------------
def test_deep_merge_merges_tables_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": [1, 2], "c": 1}
    override = {"a": {"y": {"q": 3}, "z": 4}, "b": [9]}
    merged = deep_merge(base, override)
    assert merged == {"a": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "b": [9], "c": 1}
    # neither input is modified
    assert base == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": [1, 2], "c": 1}
    assert override == {"a": {"y": {"q": 3}, "z": 4}, "b": [9]}
    merged["a"]["y"]["p"] = 99
    assert base["a"]["y"]["p"] == 1


def test_resolve_extends_returns_the_files_base_first(tmp_path):
    path = whatif(tmp_path, FIVE_LINE_WHATIF)
    data, files, provenance = resolve_extends(path)
    assert files == [BASELINE, path.resolve()]
    # each key path is traced to the file that set it last
    assert provenance[("municipalities", "Melhus", "korttid", "units", "korttid", "beds")] == path.resolve()
    assert provenance[("municipalities", "Orkland", "population")] == BASELINE
    assert "extends" not in data
    assert data["municipalities"]["Melhus"]["korttid"]["units"]["korttid"]["beds"] == 34
    assert data["municipalities"]["Orkland"]["korttid"]["units"]["korttid"]["beds"] == 32


def test_read_toml_reads_dates_as_dates():
    data = read_toml(BASELINE)
    assert data["period"]["start"] == dt.date(2022, 1, 1)
    assert "extends" not in data  # the baseline stands alone
    assert data["municipalities"]["Trondheim"]["korttid"]["units"]["Øya helsehus"]["beds"] == 125


def test_error_names_the_file_in_the_extends_chain_that_holds_the_bad_key(tmp_path):
    middle = tmp_path / "middle.toml"
    middle.write_text(f'extends = "{BASELINE}"\n[municipalities.Melhus.korttid.units.korttid]\nbedz = 3\n',
                      encoding="utf-8")
    top = tmp_path / "top.toml"
    top.write_text('extends = "middle.toml"\nname = "top"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(top)
    assert Path(info.value.file) == middle.resolve()
    assert info.value.where == "municipalities.Melhus.korttid.units.korttid.bedz"


def test_error_from_a_default_names_the_file_that_set_the_default(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{BASELINE}"\n[municipality_defaults.reception]\nopen_hour = 20.0\n',
                     encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert Path(info.value.file) == child.resolve()
    assert "open_hour" in info.value.problem


def test_an_unreachable_korttid_share_with_odds_ratio_zero_is_refused(tmp_path):
    # 73 % of the baseline's UKP are frail; with odds ratio 0 no frail patient goes to korttid,
    # so a korttid share of 0.775 cannot be the mean.
    f = tmp_path / "or0.toml"
    f.write_text(f'extends = "{BASELINE}"\n[patients]\nfrail_korttid_odds_ratio = 0.0\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert info.value.where.endswith("destination.korttid")
    assert "frail_korttid_odds_ratio" in info.value.fix

"""``ukp-sim target`` and ``ukp_sim.analysis.lever_search``: what would it take to meet a target.

* The bisection, with a deterministic fake evaluator: it returns the smallest grid value that
  meets the criterion (one step lower fails, from the recorded path), says "not reachable" when
  even the top fails and "reached at min" when the bottom meets, stops at the resolution on
  continuous levers, and needs at most 2 + ceil(log2(steps)) evaluations.
* The confidence rule: the one-sided bound, not the mean, must meet the target.
* Each lever changes the scenario as documented, through its intervention table, and nothing else.
* Bad input: one line naming the problem and the fix, exit 2, nothing written.
* A small end-to-end run on ``tests/scenarios/one_municipality.toml`` (one municipality whose
  UKP-days depend strongly on its beds; about a second a search).
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ukp_sim
from ukp_sim.analysis.lever_search import (
    LEVERS,
    NOT_REACHABLE,
    REACHED,
    REACHED_AT_MIN,
    SEARCH_COLUMNS,
    Criterion,
    Point,
    bisect_lever,
    grid_value,
    max_evaluations,
    prepare,
)
from ukp_sim.analysis.runner import single_run
from ukp_sim.base.errors import UserError
from ukp_sim.cli.main import main
from ukp_sim.config.loader import load_scenario, scenario_to_dict
from ukp_sim.interventions.capacity import ExtraBeds

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "prior" / "baseline_prior.toml"
ONE = ROOT / "tests" / "scenarios" / "one_municipality.toml"
ORIGIN = "2020-01-02"  # baseline_prior.toml: 2022-01-01 minus its 730 warm-up days


@lru_cache(maxsize=None)
def baseline():
    return load_scenario(BASELINE)


@lru_cache(maxsize=None)
def one():
    return load_scenario(ONE)


# --------------------------------------------------------------------------------------------
# The bisection, with a fake evaluator
# --------------------------------------------------------------------------------------------
class Threshold:
    """A fake monotone KPI: met exactly from ``at`` upwards; counts its calls."""

    def __init__(self, at: float):
        self.at = at
        self.calls: list[float] = []

    def __call__(self, v: float) -> Point:
        self.calls.append(v)
        met = v >= self.at - 1e-12
        return Point(v, -v, -v, -v, -v, 5, met)


def assert_smallest(result, step):
    """From the recorded path: the answer meets, and one step below it fails (or is the bottom)."""
    by_value = {p.value: p for p in result.path}
    assert by_value[result.answer].met
    below = round(result.answer - step, 10)
    if result.answer > result.lo:
        assert below in by_value and not by_value[below].met


@pytest.mark.parametrize("at", range(1, 101))
def test_integer_bisection_finds_the_smallest_value(at):
    f = Threshold(at)
    r = bisect_lever(f, 0, 100, 1)
    assert r.status == REACHED and r.answer == at
    assert_smallest(r, 1)
    assert [p.value for p in r.path] == f.calls  # the path is every evaluation, in order
    assert len(set(f.calls)) == len(f.calls)  # no value evaluated twice
    assert len(f.calls) <= max_evaluations(0, 100, 1) == 9


def test_not_reachable_evaluates_only_the_top():
    r = bisect_lever(Threshold(101), 0, 100, 1)
    assert r.status == NOT_REACHABLE and r.answer is None
    assert [p.value for p in r.path] == [100]
    assert r.shown.value == 100  # the KPI is reported at the top of the range


def test_reached_at_the_bottom():
    r = bisect_lever(Threshold(0), 0, 100, 1)
    assert r.status == REACHED_AT_MIN and r.answer == 0
    assert [p.value for p in r.path] == [100, 0]
    r = bisect_lever(Threshold(3), 5, 40, 1)  # a --min above the threshold
    assert r.status == REACHED_AT_MIN and r.answer == 5


def test_a_range_of_one_value():
    assert bisect_lever(Threshold(7), 7, 7, 1).answer == 7
    assert bisect_lever(Threshold(8), 7, 7, 1).status == NOT_REACHABLE


@pytest.mark.parametrize("at, expected", [(0.237, 0.24), (0.24, 0.24), (0.001, 0.01), (0.5, 0.5), (0.491, 0.5)])
def test_continuous_bisection_stops_at_the_resolution(at, expected):
    r = bisect_lever(Threshold(at), 0.0, 0.5, 0.01)
    assert r.status == REACHED and r.answer == pytest.approx(expected)
    assert_smallest(r, 0.01)
    for p in r.path:  # every value is on the grid, without floating-point noise
        assert p.value == round(p.value, 2)
    assert len(r.path) <= max_evaluations(0.0, 0.5, 0.01) == 8


def test_grid_ends_at_hi_when_hi_is_not_a_multiple_of_the_step():
    assert [grid_value(0.0, 0.5, 0.3, k) for k in range(3)] == [0.0, 0.3, 0.5]
    r = bisect_lever(Threshold(0.4), 0.0, 0.5, 0.3)
    assert r.answer == 0.5


# --------------------------------------------------------------------------------------------
# The confidence rule
# --------------------------------------------------------------------------------------------
def criterion(target: float, direction: str = "<=", confidence: float = 0.95) -> Criterion:
    return Criterion("ukp_days", "Total", 2022, target, direction, confidence, "test")


def test_one_sided_bound_decides_not_the_mean():
    values = np.array([10.0, 12.0, 14.0])  # mean 12, sd 2
    upper = 12 + stats.t.ppf(0.95, 2) * 2 / math.sqrt(3)  # 15.37
    p = criterion(15.0).point(1, values)
    assert p.mean == pytest.approx(12) and p.bound == pytest.approx(upper)
    assert not p.met  # the mean (12) meets 15, the bound does not
    assert criterion(15.5).point(1, values).met
    lower = criterion(9.0, ">=").point(1, values)
    assert lower.bound == pytest.approx(12 - (upper - 12)) and not lower.met
    assert criterion(8.5, ">=").point(1, values).met
    two_sided = stats.t.ppf(0.975, 2) * 2 / math.sqrt(3)
    assert (p.ci_low, p.ci_high) == pytest.approx((12 - two_sided, 12 + two_sided))
    assert criterion(12.0, confidence=0.5).point(1, values).bound == pytest.approx(12)  # 50 %: the mean


def test_noisy_kpi_needs_more_than_the_mean_alone():
    """KPI = 100 - v with a spread of +-3: the mean meets 50 at v = 50, the 95 % bound later."""
    c = criterion(50.0)
    noise = np.array([-3.0, 0.0, 3.0])

    def evaluate(v):
        return c.point(v, 100.0 - v + noise)

    r = bisect_lever(evaluate, 0, 100, 1)
    upper_gap = stats.t.ppf(0.95, 2) * 3 / math.sqrt(3)  # 5.06
    assert r.answer == math.ceil(50 + upper_gap) == 56
    assert_smallest(r, 1)


def test_a_single_replication_never_meets():
    assert not criterion(1e9).point(1, np.array([5.0])).met


# --------------------------------------------------------------------------------------------
# Levers change the scenario as documented
# --------------------------------------------------------------------------------------------
def values_without(s, *path) -> dict:
    d = scenario_to_dict(s)
    d.pop("content_hash")
    node = d
    for key in path[:-1]:
        node = node[key]
    node.pop(path[-1])
    return d


def test_lever_zero_is_the_scenario_itself():
    s = baseline()
    for name in LEVERS:
        assert prepare(s, name, "ukp_days").setting.scenario_at(s, 0) is s


def test_korttid_beds_adds_beds_in_the_named_municipality_only():
    s = baseline()
    q = prepare(s, "korttid_beds", "ukp_days", municipalities=["Melhus"])
    s5 = q.setting.scenario_at(s, 5)
    cap = s5.interventions.capacity
    assert cap.enabled and str(cap.start) == ORIGIN and cap.ramp_up_days == 0
    assert cap.korttid == {"Melhus": ExtraBeds(beds=5)}
    assert cap.home_intake_per_day == {} and cap.weekend_reception == ()
    assert values_without(s5, "interventions", "capacity") == values_without(s, "interventions", "capacity")
    assert s5.municipalities == s.municipalities  # the scenario's own units are untouched


def test_korttid_beds_defaults_to_the_most_populous_municipality():
    assert prepare(baseline(), "korttid_beds", "ukp_days").setting.places == ("Trondheim",)


def test_levers_add_to_a_capacity_table_the_scenario_already_has():
    s = baseline()
    own = dataclasses.replace(s.interventions.capacity, enabled=True, start=baseline().period.start,
                              korttid={"Orkland": ExtraBeds(beds=4, unit="korttid")},
                              weekend_reception=("Melhus",))
    s = dataclasses.replace(s, interventions=dataclasses.replace(s.interventions, capacity=own))
    cap = prepare(s, "korttid_beds", "ukp_days", municipalities=["Orkland"]).setting.scenario_at(s, 3) \
        .interventions.capacity
    assert cap.korttid == {"Orkland": ExtraBeds(beds=7, unit="korttid")}
    assert cap.start == s.period.start  # the scenario's own start stays
    q = prepare(s, "reception_days", "ukp_days")
    assert "Melhus" not in q.setting.places  # already receives every day
    assert q.setting.scenario_at(s, 1).interventions.capacity.weekend_reception == ("Melhus", "Trondheim")


def test_team_capacity_switches_the_team_on():
    s = baseline()
    team = prepare(s, "team_capacity", "ukp_days").setting.scenario_at(s, 12).interventions.discharge_team
    assert team.enabled and team.capacity == 12 and team.municipalities == () and str(team.start) == ORIGIN
    assert team.coverage == type(team)().coverage  # the other settings are the defaults
    team = prepare(s, "team_capacity", "ukp_days", municipalities=["Melhus", "Skaun"]).setting \
        .scenario_at(s, 3).interventions.discharge_team
    assert team.municipalities == ("Melhus", "Skaun")


def test_team_capacity_adds_to_a_team_the_scenario_has():
    s = baseline()
    own = dataclasses.replace(s.interventions.discharge_team, enabled=True, start=s.period.start, capacity=10,
                              municipalities=("Melhus",))
    s = dataclasses.replace(s, interventions=dataclasses.replace(s.interventions, discharge_team=own))
    setting = prepare(s, "team_capacity", "ukp_days").setting
    team = setting.scenario_at(s, 5).interventions.discharge_team
    assert (team.capacity, team.municipalities, team.start) == (15, ("Melhus",), s.period.start)
    assert setting.phrase(5, "en") == "5 more discharge-team places (patients followed at once; Melhus)"
    with pytest.raises(UserError, match="already says whose patients"):
        prepare(s, "team_capacity", "ukp_days", municipalities=["Skaun"])


def test_korttid_stay_cuts_every_unit_and_compounds_with_an_own_cut():
    s = baseline()
    ek = prepare(s, "korttid_stay", "ukp_days").setting.scenario_at(s, 0.1).interventions.efficient_korttid
    assert ek.enabled and ek.reduction == {name: pytest.approx(0.1) for name in s.municipalities}
    own = dataclasses.replace(s.interventions.efficient_korttid, enabled=True, start=s.period.start)  # Øya -20 %
    s = dataclasses.replace(s, interventions=dataclasses.replace(s.interventions, efficient_korttid=own))
    ek = prepare(s, "korttid_stay", "ukp_days", municipalities=["Trondheim"]).setting.scenario_at(s, 0.1) \
        .interventions.efficient_korttid
    assert ek.reduction == {"Trondheim/Øya helsehus": pytest.approx(1 - 0.8 * 0.9), "Trondheim": pytest.approx(0.1)}


def test_reception_days_are_nested_largest_first():
    s = baseline()
    setting = prepare(s, "reception_days", "ukp_days").setting
    by_size = [m.name for m in sorted(s.municipalities.values(), key=lambda m: -m.population)]
    assert list(setting.places) == by_size
    sets = [set(setting.scenario_at(s, k).interventions.capacity.weekend_reception) if k else set()
            for k in range(len(by_size) + 1)]
    assert all(a < b for a, b in zip(sets, sets[1:]))
    assert sets[2] == set(by_size[:2])
    named = prepare(s, "reception_days", "ukp_days", municipalities=["Skaun", "Melhus"]).setting
    assert named.scenario_at(s, 1).interventions.capacity.weekend_reception == ("Skaun",)


def test_home_intake_adds_intake_in_one_municipality():
    s = baseline()
    cap = prepare(s, "home_intake", "ukp_days", municipalities=["Malvik"]).setting.scenario_at(s, 0.5) \
        .interventions.capacity
    assert cap.home_intake_per_day == {"Malvik": 0.5} and cap.korttid == {}


def test_extra_beds_act_through_the_model():
    """Under common random numbers 10 extra beds in the bed-bound test municipality cut its UKP-days."""
    s = one()
    s10 = prepare(s, "korttid_beds", "ukp_days").setting.scenario_at(s, 10)

    def ukp_days(sc):
        t = single_run(sc, 3, 0)
        return t[(t["month"] == 0) & (t["municipality"] == "Total") & (t["kpi"] == "ukp_days")]["value"].item()

    assert ukp_days(s10) < ukp_days(s)


# --------------------------------------------------------------------------------------------
# Bad questions (checked before anything runs)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, words", [
    ({"lever": "korttid_bed"}, ["unknown lever", "did you mean 'korttid_beds'"]),
    ({"kpi": "ukp_dayz"}, ["unknown KPI", "did you mean 'ukp_days'"]),
    ({"kpi": "cost_nok"}, ["cost_nok has no target", "--target-value"]),
    ({"municipalities": ["Trondhjem"]}, ["'Trondhjem' is not a municipality", "did you mean 'Trondheim'"]),
    ({"municipalities": ["Melhus", "Malvik"]}, ["acts on one municipality"]),
    ({"lo": 10, "hi": 5}, ["--min 10 is above --max 5"]),
    ({"lo": 1.5}, ["whole numbers"]),
    ({"hi": -1}, ["--max must be 0 or more"]),
    ({"year": 2030}, ["--year 2030 is outside the period", "2022"]),
    ({"place": "Trondheim"}, ["applies to the whole community", "--target-value"]),
    ({"place": "Melhus/Øya"}, ["not a korttid unit of Melhus"]),
    ({"resolution": 0.5}, ["takes whole numbers", "--resolution"]),
    ({"lever": "korttid_stay", "hi": 0.6}, ["above the lever's largest value 0.5"]),
    ({"confidence": 1.0}, ["--confidence"]),
])
def test_bad_questions_name_the_problem_and_the_fix(kwargs, words):
    args = {"lever": "korttid_beds", "kpi": "ukp_days", **kwargs}
    with pytest.raises(UserError) as info:
        prepare(baseline(), args.pop("lever"), args.pop("kpi"), **args)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_an_intervention_starting_after_the_year_is_refused():
    s = baseline()
    late = dataclasses.replace(s.interventions.discharge_team, enabled=True)  # starts 2024-09-01
    s = dataclasses.replace(s, interventions=dataclasses.replace(s.interventions, discharge_team=late))
    with pytest.raises(UserError, match="starts on 2024-09-01, after 2022"):
        prepare(s, "team_capacity", "ukp_days")


def test_the_kpi_place_defaults_to_where_the_target_applies():
    assert prepare(baseline(), "korttid_stay", "korttid_los").criterion.place == "Trondheim/Øya helsehus"
    q = prepare(baseline(), "korttid_beds", "ukp_days_per_1000", place="Melhus")
    assert (q.criterion.place, q.criterion.target, q.criterion.direction) == ("Melhus", 5.394, "<=")
    q = prepare(baseline(), "korttid_beds", "zero_day_share", target_value=0.8)
    assert (q.criterion.place, q.criterion.target, q.criterion.direction) == ("Total", 0.8, ">=")


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------
def run_main(argv: list[str]) -> tuple[int, str, str]:
    """main(argv): exit code, stdout, stderr (argparse's own exits included)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


def target_args(out: Path, *extra: str) -> list[str]:
    return ["target", str(ONE), "--lever", "korttid_beds", "--max", "8", "--replications", "3", "--seed", "5",
            "--target-value", "150", "--out", str(out), *extra]


@pytest.mark.parametrize("extra, words", [
    (["--lever", "beds"], "unknown lever 'beds'"),
    (["--kpi", "ukp"], "unknown KPI 'ukp'"),
    (["--kpi", "beds_held_by_ukp_mean", "--target-value", "nan"], "--target-value"),
    (["--municipality", "Oslo"], "'Oslo' is not a municipality"),
    (["--min", "9"], "--min 9 is above --max 8"),
    (["--year", "2023"], "--year 2023 is outside the period"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, extra, words):
    out = tmp_path / "out"
    rc, stdout, err = run_main(target_args(out, *extra))
    assert rc == 2 and stdout == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    if lines[0].startswith("usage:"):  # argparse refuses a bad number: usage, then one error line
        lines = lines[-1:]
    assert len(lines) == 1 and "error: " in lines[0] and words in lines[0], err
    assert not out.exists()


def test_kpi_without_target_is_refused(tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_main(["target", str(ONE), "--lever", "korttid_beds", "--kpi", "cost_nok", "--out", str(out)])
    assert rc == 2 and err.startswith("error: --kpi: cost_nok has no target") and "--target-value" in err
    assert not out.exists()


@pytest.mark.parametrize("extra, words", [
    (["--lever", "korttid_beds", "--confidence", "1.5"], "--confidence"),
    (["--lever", "korttid_beds", "--replications", "1"], "at least 2"),
    ([], "--lever"),  # required
])
def test_argument_errors_exit_2(tmp_path, extra, words):
    rc, _, err = run_main(["target", str(ONE), "--out", str(tmp_path / "out"), *extra])
    assert rc == 2 and words in err.strip().splitlines()[-1]
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def search_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("target") / "out"
    rc, stdout, err = run_main(target_args(out, "--lang", "en"))
    assert rc == 0, err
    return out, stdout, json.loads((out / "run.json").read_text(encoding="utf-8")), \
        pd.read_csv(out / "search.csv")


def test_search_writes_search_csv_and_run_json(search_run):
    out, _, meta, path = search_run
    assert {p.name for p in out.iterdir()} == {"search.csv", "run.json"}
    assert list(path.columns) == SEARCH_COLUMNS
    assert path["value"].is_unique  # lever 0 is not run twice
    assert (path["n"] == 3).all() and (path["place"] == "Total").all()
    assert meta["status"] == REACHED
    met = path[path["met"]]
    answer = meta["answer"]
    assert answer == met["value"].min()  # the smallest value met ...
    assert not path[path["value"] == answer - 1]["met"].item()  # ... and one bed fewer was evaluated and fails
    assert (path[path["value"] > answer]["met"]).all()
    assert meta["at"]["value"] == answer and meta["at"]["bound"] <= 150


def test_run_json_records_inputs_rules_and_the_paired_difference(search_run):
    _, _, meta, path = search_run
    for key in ("command", "seed", "version", "date", "scenario_file", "confidence_rule", "search_rule",
                "kpi_definitions", "lever", "target", "search_path"):
        assert key in meta, key
    assert meta["seed"] == 5 and meta["version"] == ukp_sim.__version__ and meta["replications"] == 3
    assert meta["command"].startswith("ukp-sim target ") and "--target-value 150" in meta["command"]
    assert meta["target"] == {"value": 150.0, "direction": "<=", "source": "--target-value"}
    assert meta["lever"]["municipalities"] == ["Testby"] and meta["lever"]["max"] == 8
    assert list(meta["kpi_definitions"]) == ["ukp_days"]
    d = meta["paired_difference_against_0"]
    means = path.set_index("value")["mean"]
    assert d["lever_value"] == meta["answer"] and d["n"] == 3
    assert d["mean_difference"] == pytest.approx(means[meta["answer"]] - means[0])
    assert d["ci_low"] <= d["mean_difference"] <= d["ci_high"]


def test_the_answer_is_printed(search_run):
    _, stdout, meta, _ = search_run
    first = stdout.splitlines()[0]
    assert first.startswith(f"It takes {meta['answer']} extra korttidsplasser in Testby for UKP-days")
    assert "with 95 % confidence" in first and first == meta["answer_text"]
    assert "Against no change (paired, common random numbers)" in stdout


def test_jobs_do_not_change_the_search(search_run, tmp_path):
    out, _, _, _ = search_run
    rc, _, err = run_main(target_args(tmp_path / "par", "--jobs", "2", "--quiet"))
    assert rc == 0, err
    assert (tmp_path / "par" / "search.csv").read_bytes() == (out / "search.csv").read_bytes()


def test_not_reachable_is_reported_with_exit_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, stdout, err = run_main(["target", str(ONE), "--lever", "korttid_beds", "--max", "2", "-n", "2",
                                "--target-value", "1"])
    assert rc == 0, err
    out = tmp_path / "results" / "one_municipality_target_korttid_beds"  # the default folder
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["status"] == NOT_REACHABLE and meta["answer"] is None and meta["at"]["value"] == 2
    assert stdout.startswith("Målet nås ikke innenfor søkeområdet: selv med 2 ekstra korttidsplasser i Testby")
    path = pd.read_csv(out / "search.csv")
    assert list(path["value"]) == [2, 0] and list(path["role"]) == ["search", "reference"]


def test_help_lists_the_levers(capsys):
    with pytest.raises(SystemExit) as info:
        main(["target", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in (*LEVERS, "--kpi", "--confidence", "--min", "--max", "--resolution", "--kpi-for"):
        assert word in text, word


def test_continuous_lever_end_to_end(tmp_path):
    """korttid_stay on the test municipality: the answer is on the --resolution grid, and one step
    less was run and fails."""
    out = tmp_path / "out"
    rc, stdout, err = run_main(["target", str(ONE), "--lever", "korttid_stay", "--kpi", "korttid_los", "--kpi-for",
                                "Testby", "--target-value", "17", "--resolution", "0.05", "-n", "3", "--out",
                                str(out), "--lang", "en"])
    assert rc == 0, err
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    path = pd.read_csv(out / "search.csv").set_index("value")
    answer = meta["answer"]
    assert meta["status"] == REACHED and meta["lever"]["step"] == 0.05
    assert answer / 0.05 == pytest.approx(round(answer / 0.05))  # on the grid
    assert path.loc[answer, "met"] and not path.loc[round(answer - 0.05, 10), "met"]
    assert stdout.startswith(f"It takes korttid stays {100 * answer:.3g} % shorter in all municipalities")

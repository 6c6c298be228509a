"""The KPI targets (ukp_sim/data/targets.toml), goal attainment and the status colour rule."""
from __future__ import annotations

import math

import pytest

from ukp_sim.config.targets import TARGETS_FILE, StatusRule, Target, load_targets, status
from ukp_sim.kpi import DEFINITIONS, TOTAL


@pytest.fixture(scope="module")
def targets() -> dict[str, Target]:
    return load_targets()[0]


@pytest.fixture(scope="module")
def rule() -> StatusRule:
    return load_targets()[1]


def make(target: float, baseline: float, direction: str, scope: str = "all") -> Target:
    return Target(kpi="x", number=0, target=target, direction=direction, baseline=baseline,
                  baseline_note="", scope=scope)


# --------------------------------------------------------------------------------------------
# The data file
# --------------------------------------------------------------------------------------------
def test_targets_file_is_bundled_data():
    assert TARGETS_FILE.name == "targets.toml"
    assert TARGETS_FILE.is_file()


def test_the_six_kpis_have_targets(targets):
    assert {t.number for t in targets.values()} == {1, 2, 3, 4, 5, 6}
    assert set(targets) >= {"ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share",
                            "readmission_30d_share", "korttid_los"}


def test_every_target_is_a_defined_kpi(targets):
    assert set(targets) <= set(DEFINITIONS)


@pytest.mark.parametrize("kpi, target, direction, baseline", [
    ("ukp_days", 1767, "<=", 8700),
    ("zero_day_share", 0.90, ">=", 0.71),
    ("mean_ukp_stay", 2.0, "<=", 4.5),
    ("straight_home_share", 0.30, ">=", 0.225),
    ("readmission_30d_share", 0.16, "<=", 0.16),
    ("korttid_los", 20.0, "<=", 25.0),
])
def test_adopted_targets(targets, kpi, target, direction, baseline):
    t = targets[kpi]
    assert t.kpi == kpi
    assert t.target == pytest.approx(target)
    assert t.direction == direction
    assert t.baseline == pytest.approx(baseline)
    assert t.baseline_note


def test_per_1000_target_matches_the_community_target(targets):
    pop = 327_574
    assert targets["ukp_days_per_1000"].target == pytest.approx(1767 / pop * 1000, rel=1e-3)
    assert targets["ukp_days_per_1000"].baseline == pytest.approx(8700 / pop * 1000, rel=1e-3)


def test_status_rule_values(rule):
    assert rule.yellow_attainment == 0.5
    assert rule.yellow_relative == 0.05


# --------------------------------------------------------------------------------------------
# Attainment
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kpi", ["ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share",
                                 "korttid_los", "ukp_days_per_1000"])
def test_attainment_is_zero_at_baseline_and_one_at_target(targets, kpi):
    t = targets[kpi]
    assert t.attainment(t.baseline) == pytest.approx(0.0, abs=1e-12)
    assert t.attainment(t.target) == pytest.approx(1.0)
    mid = (t.baseline + t.target) / 2
    assert t.attainment(mid) == pytest.approx(0.5)
    # beyond the target is more than 1, worse than the baseline is negative
    beyond = t.target + (t.target - t.baseline)
    assert t.attainment(beyond) == pytest.approx(2.0)
    worse = t.baseline - (t.target - t.baseline)
    assert t.attainment(worse) == pytest.approx(-1.0)


def test_attainment_is_undefined_when_target_equals_baseline(targets):
    assert math.isnan(targets["readmission_30d_share"].attainment(0.15))


def test_attainment_worked_example(targets):
    # UKP-days: 8,700 -> 1,767; 5,233.5 is half way
    assert targets["ukp_days"].attainment(5233.5) == pytest.approx(0.5)
    assert targets["ukp_days"].attainment(8700 - 6933 * 0.25) == pytest.approx(0.25)


# --------------------------------------------------------------------------------------------
# Status: lower is better
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (1767, "green"),       # exactly the target
    (1000, "green"),       # better than the target
    (0, "green"),
    (1767.5, "yellow"),    # just missed
    (5233.5, "yellow"),    # exactly half way from baseline to target
    (5233, "yellow"),
    (5234, "red"),         # just under half way
    (8700, "red"),         # the baseline
    (12000, "red"),        # worse than the baseline
])
def test_status_ukp_days(targets, rule, value, expected):
    assert status(targets["ukp_days"], value, rule) == expected


@pytest.mark.parametrize("value, expected", [
    (2.0, "green"), (1.5, "green"), (2.01, "yellow"), (3.25, "yellow"), (3.26, "red"), (4.5, "red"),
])
def test_status_mean_ukp_stay(targets, rule, value, expected):
    assert status(targets["mean_ukp_stay"], value, rule) == expected


@pytest.mark.parametrize("value, expected", [
    (20.0, "green"), (18.0, "green"), (22.5, "yellow"), (22.4, "yellow"), (22.6, "red"), (25.0, "red"),
    (30.0, "red"),
])
def test_status_korttid_los(targets, rule, value, expected):
    assert status(targets["korttid_los"], value, rule) == expected


# --------------------------------------------------------------------------------------------
# Status: higher is better
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (0.90, "green"), (0.95, "green"), (0.89, "yellow"), (0.806, "yellow"), (0.804, "red"),
    (0.71, "red"), (0.5, "red"),
])
def test_status_zero_day_share(targets, rule, value, expected):
    assert status(targets["zero_day_share"], value, rule) == expected


@pytest.mark.parametrize("value, expected", [
    (0.30, "green"), (0.40, "green"), (0.29, "yellow"), (0.2626, "yellow"), (0.2624, "red"), (0.225, "red"),
    (0.1, "red"),
])
def test_status_straight_home_share(targets, rule, value, expected):
    assert status(targets["straight_home_share"], value, rule) == expected


# --------------------------------------------------------------------------------------------
# Status: target equal to the baseline (readmissions, to be kept at 16 %)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (0.16, "green"),     # the target
    (0.10, "green"),     # better
    (0.165, "yellow"),   # within 5 % relative (0.168)
    (0.1679, "yellow"),
    (0.1681, "red"),     # beyond 5 %
    (0.17, "red"),
    (0.25, "red"),
])
def test_status_readmission(targets, rule, value, expected):
    assert status(targets["readmission_30d_share"], value, rule) == expected


# --------------------------------------------------------------------------------------------
# Status: no value
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kpi", ["ukp_days", "zero_day_share", "readmission_30d_share", "korttid_los"])
def test_status_of_nan_or_none_is_empty(targets, rule, kpi):
    assert status(targets[kpi], math.nan, rule) == ""
    assert status(targets[kpi], None, rule) == ""


# --------------------------------------------------------------------------------------------
# The rule on made-up targets, and a rule with other thresholds
# --------------------------------------------------------------------------------------------
def test_status_rule_on_made_up_targets():
    rule = StatusRule(yellow_attainment=0.5, yellow_relative=0.05)
    down = make(target=10, baseline=20, direction="<=")
    assert [status(down, v, rule) for v in (5, 10, 12, 15, 15.01, 20, 25)] == \
        ["green", "green", "yellow", "yellow", "red", "red", "red"]
    up = make(target=100, baseline=50, direction=">=")
    assert [status(up, v, rule) for v in (120, 100, 99, 75, 74.9, 50, 0)] == \
        ["green", "green", "yellow", "yellow", "red", "red", "red"]
    flat_up = make(target=100, baseline=100, direction=">=")
    assert [status(flat_up, v, rule) for v in (101, 100, 96, 95.1, 94.9)] == \
        ["green", "green", "yellow", "yellow", "red"]


def test_status_thresholds_come_from_the_rule():
    t = make(target=10, baseline=20, direction="<=")
    assert status(t, 13, StatusRule(yellow_attainment=0.5, yellow_relative=0.05)) == "yellow"
    assert status(t, 13, StatusRule(yellow_attainment=0.8, yellow_relative=0.05)) == "red"
    flat = make(target=10, baseline=10, direction="<=")
    assert status(flat, 10.8, StatusRule(yellow_attainment=0.5, yellow_relative=0.05)) == "red"
    assert status(flat, 10.8, StatusRule(yellow_attainment=0.5, yellow_relative=0.10)) == "yellow"


def test_met_is_inclusive_in_both_directions():
    assert make(10, 20, "<=").met(10)
    assert not make(10, 20, "<=").met(10.0001)
    assert make(10, 5, ">=").met(10)
    assert not make(10, 5, ">=").met(9.9999)


# --------------------------------------------------------------------------------------------
# Which rows a target applies to
# --------------------------------------------------------------------------------------------
def test_ukp_days_target_applies_to_the_community_only(targets):
    t = targets["ukp_days"]
    assert t.scope == "community"
    assert t.applies_to(TOTAL)
    for name in ("Trondheim", "Melhus", "Trondheim/Øya helsehus", "Melhus/korttid"):
        assert not t.applies_to(name), name


def test_korttid_los_target_applies_to_oya_helsehus_only(targets):
    t = targets["korttid_los"]
    assert t.scope == "unit:Øya helsehus"
    assert t.applies_to("Trondheim/Øya helsehus")
    for name in (TOTAL, "Trondheim", "Trondheim/korttid", "Melhus/korttid", "Øya helsehus"):
        assert not t.applies_to(name), name


@pytest.mark.parametrize("kpi", ["ukp_days_per_1000", "zero_day_share", "mean_ukp_stay",
                                 "straight_home_share", "readmission_30d_share"])
def test_share_and_per_capita_targets_apply_to_municipalities_and_total_not_units(targets, kpi):
    t = targets[kpi]
    assert t.scope == "all"
    for name in (TOTAL, "Trondheim", "Melhus", "Indre Fosen", "Ørland"):
        assert t.applies_to(name), name
    for name in ("Trondheim/Øya helsehus", "Trondheim/korttid", "Melhus/korttid"):
        assert not t.applies_to(name), name


def test_load_targets_from_another_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        "[status]\nyellow_attainment = 0.8\nyellow_relative = 0.1\n"
        "[kpi.ukp_days]\nnumber = 1\ntarget = 100\ndirection = '<='\nbaseline = 200\n"
        "baseline_note = 'x'\nscope = 'community'\n",
        encoding="utf-8",
    )
    targets, rule = load_targets(path)
    assert set(targets) == {"ukp_days"}
    assert rule == StatusRule(yellow_attainment=0.8, yellow_relative=0.1)
    assert status(targets["ukp_days"], 115, rule) == "yellow"
    assert status(targets["ukp_days"], 125, rule) == "red"

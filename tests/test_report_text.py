"""The report layer's text catalogue, its one number formatter and the study context."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ukp_sim.config.loader import load_scenario
from ukp_sim.report import console
from ukp_sim.report.context import context_from_places, study_context
from ukp_sim.report.locale import LANGS, catalogue, fill, scenario_label, words
from ukp_sim.report.numbers import MINUS, NBSP, format_number, format_percent, format_signed
from ukp_sim.report.study_html import to_html

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY_WORDS = ("Øya", "Trondheim", "Melhus", "Malvik", "St. Olav")


def _leaves(node, prefix=""):
    """(key path, value) of every string in a catalogue; lists by index."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, node


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    nb, en = (dict(_leaves(catalogue(lang))) for lang in LANGS)
    assert set(nb) == set(en), sorted(set(nb) ^ set(en))
    assert len(nb) > 200  # the whole text of the report layer
    for key in nb:
        assert _fields(nb[key]) == _fields(en[key]), key
        assert nb[key].strip() and en[key].strip(), key


def test_catalogue_names_no_fact_of_one_health_community():
    for lang in LANGS:
        for key, value in _leaves(catalogue(lang)):
            assert not any(w in value for w in COMMUNITY_WORDS), (lang, key, value)


def test_scenario_label_is_the_one_place_for_names():
    assert scenario_label("combined", "nb") == "Samlet strategi"
    assert scenario_label("combined", "en") == "Combined strategy"
    assert scenario_label("my_own_plan", "en") == "my_own_plan"
    with pytest.raises(ValueError):
        scenario_label("combined", "de")


def test_fill_leaves_unknown_placeholders_for_later():
    assert fill("{unit} {n} {unit}", unit="Fjordtun") == "Fjordtun {n} Fjordtun"


def test_number_formatter_bokmal_and_english():
    assert format_number(1767) == f"1{NBSP}767"
    assert format_number(1767, lang="en") == "1,767"
    assert format_number(1234567.891, 1) == f"1{NBSP}234{NBSP}567,9"
    assert format_number(-1500, 0, "en") == f"{MINUS}1,500"
    assert format_number(-0.0001, 2) == "0,00"
    assert format_number(float("inf")) == "–" and format_number(None) == "–"
    assert format_percent(0.712, 1) == f"71,2{NBSP}%" and format_percent(0.712, 1, "en") == f"71.2{NBSP}%"
    assert format_signed(2.5, 1) == "+2,5" and format_signed(-2.5, 1) == f"{MINUS}2,5"
    assert format_signed(0.001, 1) == "±0,0"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
@example(2.675, 2)  # stored as 2.67499…: Python writes 2.67, rounding the decimal text would give 2.68
@example(-1.115, 2)
def test_number_formatter_rounds_like_python(value, decimals):
    """Every digit as Python's own formatting gives it (round half to even on the exact float)."""
    python = f"{abs(value):,.{decimals}f}"
    ours = format_number(value, decimals, "en")
    assert ours.lstrip(MINUS) == python
    assert ours.startswith(MINUS) == (value < 0 and any(c in "123456789" for c in python))
    assert format_number(value, decimals, "nb").lstrip(MINUS) == python.replace(",", NBSP).replace(".", ",")


def test_console_tables_use_the_decimal_comma_in_bokmal():
    assert console.fmt(0.5, "days", "nb") == "0,50" and console.fmt(0.5, "days", "en") == "0.50"
    assert console.fmt(0.712, "share", "nb") == f"71,2{NBSP}%"
    assert console.fmt(12345.0, "days", "nb") == f"12{NBSP}345"
    assert console.fmt(2.5e6, "NOK", "nb") == "2,5 mill."
    assert console.fmt_diff(-0.012, "share", "nb") == f"{MINUS}1,2 %-p"
    assert console.fmt_diff(-0.012, "share", "en") == f"{MINUS}1.2 pp"


def test_html_keeps_numbers_unbroken():
    text = f"# Title\n\n| a |\n|---|\n| {format_number(12345)} ({format_number(-2.5, 1)}) |\n"
    page = to_html(text, {}, "nb")
    assert f"12{NBSP}345" in page or "12&nbsp;345" in page
    assert "<title>Title</title>" in page


def test_context_of_the_standard_study_comes_from_its_files():
    ctx = study_context(load_scenario(ROOT / "scenarios" / "baseline_2023.toml"), [2023, 2024, 2025, 2026])
    assert ctx.unit == "Trondheim/Øya helsehus" and ctx.unit_name == "Øya helsehus"
    assert ctx.groups == ("Trondheim", "Melhus", "Malvik") and ctx.largest == "Trondheim"
    assert ctx.period == "2024–2026" and ctx.target_year == 2025 and ctx.goal_year == 2025
    v = ctx.values("nb")
    assert v["later_years"] == "2024, 2025 og 2026" and v["from_y2"] == "2025 og 2026"
    assert fill(words("en", "report")["kpi_h"], **ctx.values("en")).endswith("KPI 6 for Øya helsehus)")


def test_context_of_another_community():
    ctx = study_context(load_scenario(ROOT / "tests" / "community_b" / "baseline.toml"), [2024, 2025])
    assert ctx.unit == "Fjordby/Fjordtun" and ctx.groups == ("Fjordby", "Dalvik")
    assert ctx.hospital == "Fjordby sjukehus" and ctx.period == "2025" and ctx.goal_year == 2025
    # read from the tables alone (no scenario): the units and municipalities present
    ctx = context_from_places(["Total", "Fjordby", "Dalvik", "Fjordby/Fjordtun"], [2024])
    assert ctx.unit == "Fjordby/Fjordtun" and ctx.goal_year == 2024
    # two units and neither is the schema's default: no guess, KPI 6 for the whole community
    assert context_from_places(["Total", "Fjordby/Fjordtun", "Dalvik/Dalheim"], [2024]).unit is None

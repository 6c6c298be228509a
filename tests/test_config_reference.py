"""The scenario reference is generated from the schema: the committed page must be the output."""
from pathlib import Path

from ukp_sim.config.reference import reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario_reference.md"


def test_the_committed_reference_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == reference(), (
        "docs/scenario_reference.md is stale: run python -m ukp_sim.config.reference > docs/scenario_reference.md")


def test_every_bound_of_the_schema_is_in_the_reference():
    text = reference()
    for row in ("| `admissions_per_year` | number | **required** | 0–10,000,000 |",
                "| `beds` | whole number | **required** | 0–100,000 |", "0 or ≥ 0.001"):
        assert row in text, row

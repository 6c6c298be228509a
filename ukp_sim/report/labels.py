"""Kept for existing imports: the names now live in ``ukp_sim.report.locale`` (text, one
catalogue per language) and ``ukp_sim.report.numbers`` (the one number formatter)."""
from __future__ import annotations

from ukp_sim.report.locale import INTERVENTIONS, LANGS, SCENARIOS, scenario_label
from ukp_sim.report.numbers import MINUS, format_number

__all__ = ["INTERVENTIONS", "LANGS", "MINUS", "SCENARIOS", "format_number", "scenario_label"]

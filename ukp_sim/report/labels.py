"""Names of the standard study's scenarios and of its output words, in bokmål and English.

The study's readers are Norwegian planners, so bokmål is the default; every label also exists in
English for ``--lang en``. The scenario ids are the intervention ids of ``[interventions]``.
"""
from __future__ import annotations

import math

from ukp_sim.base.vocabulary import REPORT_ORDER

LANGS = ("nb", "en")

# The study's scenarios, in report order: the reference, each intervention alone, all together.
SCENARIOS = REPORT_ORDER
INTERVENTIONS = SCENARIOS[1:-1]

SCENARIO_LABELS = {
    "nb": {
        "baseline": "Referanse (ingen tiltak)",
        "discharge_team": "Forsterket utskrivingsteam",
        "bed_sharing": "Interkommunalt samarbeid om korttidsplasser",
        "early_assessment": "Tidlig tverrfaglig vurdering",
        "escalation_plan": "Eskaleringsplan",
        "efficient_korttid": "Effektive korttidsforløp",
        "frailty_pathway": "Skrøpelighetsforløp (CFS)",
        "combined": "Samlet strategi",
    },
    "en": {
        "baseline": "Baseline (no intervention)",
        "discharge_team": "Enhanced discharge team",
        "bed_sharing": "Inter-municipal korttid bed sharing",
        "early_assessment": "Early interdisciplinary assessment",
        "escalation_plan": "Escalation plan",
        "efficient_korttid": "Shorter korttid stays",
        "frailty_pathway": "Frailty pathway (CFS)",
        "combined": "Combined strategy",
    },
}

STATUS_LABELS = {
    "nb": {"green": "grønn", "yellow": "gul", "red": "rød", "": "–"},
    "en": {"green": "green", "yellow": "yellow", "red": "red", "": "–"},
}

SAVING_LABELS = {
    "nb": {"ukp_days_saved": "UKP-døgn spart", "cost_saved_nok": "Kostnad spart (NOK)",
           "beds_freed": "Sykehussenger frigjort (snitt)"},
    "en": {"ukp_days_saved": "UKP-days saved", "cost_saved_nok": "Cost saved (NOK)",
           "beds_freed": "Hospital beds freed (mean)"},
}


def scenario_label(scenario: str, lang: str = "nb") -> str:
    """The readable name of a scenario id (a planner's own scenario keeps its id)."""
    return SCENARIO_LABELS[lang].get(scenario, scenario)


MINUS = "−"


def format_number(value: float | None, decimals: int | None = None, lang: str = "nb") -> str:
    """A number as a planner reads it: "1 767" and "0,5" in bokmål, "1,767" and "0.5" in English.

    ``decimals=None`` gives the shortest form up to six decimals; NaN and None give "–".
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    value = float(value)
    text = f"{abs(value):,.{6 if decimals is None else decimals}f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "nb":
        text = text.replace(",", " ").replace(".", ",")
    negative = value < 0 and any(c not in "0., " for c in text)
    return (MINUS if negative else "") + text

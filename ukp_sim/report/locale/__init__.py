"""The text of the reports in one catalogue per language: ``nb.toml`` (bokmål) and ``en.toml``.

Every sentence, heading and label the report layer prints comes from these two files, so a
translator edits one file and a test checks that both languages have the same keys and the same
``{placeholders}``. The language is always passed explicitly; nothing here guesses it.
KPI names live with their definitions (``ukp_sim.kpi``, written into run.json) and are read
through ``kpi_label``.
"""
from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path

from ukp_sim.base.vocabulary import REPORT_ORDER

LANGS = ("nb", "en")
FOLDER = Path(__file__).resolve().parent

# The study's scenarios, in report order: the reference, each intervention alone, all together.
SCENARIOS = REPORT_ORDER
INTERVENTIONS = SCENARIOS[1:-1]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict:
    """The whole catalogue of one language as nested dicts (read once, shared: do not mutate)."""
    with open(FOLDER / f"{check_lang(lang)}.toml", "rb") as f:
        return tomllib.load(f)


def words(lang: str, section: str) -> dict:
    """One table of the catalogue, e.g. ``words("nb", "report")["title"]``."""
    return catalogue(lang)[section]


def fill(template: str, **values) -> str:
    """``template.format(**values)``, leaving any placeholder not given as it is (for text that
    is filled in two steps, e.g. a caption's years here and its number later)."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{**{f: "{" + f + "}" for f in fields}, **values})


# -- the one place that names scenarios ------------------------------------------------------------
def scenario_label(scenario: str, lang: str = "nb") -> str:
    """The display name of a scenario id; a planner's own scenario keeps its id.

    This is the single function every report, figure and table uses for scenario names; point it
    at the intervention registry when interventions carry their own labels."""
    from ukp_sim.interventions import registry

    if scenario in registry.ids():
        return registry.get(scenario).labels[lang]
    return words(lang, "scenario").get(scenario, scenario)


def evidence_text(scenario: str, lang: str) -> str | None:
    """The evidence paragraph of a scenario: an intervention's comes from its plug-in module."""
    from ukp_sim.interventions import registry

    if scenario in registry.ids():
        return registry.get(scenario).evidence.get(lang)
    return words(lang, "evidence").get(scenario)


def status_label(status: str, lang: str) -> str:
    """green/yellow/red in the reader's language; "" (no status) is "–"."""
    return words(lang, "status")[status or "none"]


def kpi_label(kpi: str, lang: str, definitions: dict | None = None) -> str:
    """A KPI's name from its definition (``ukp_sim.kpi``: a scenario's own ``definitions`` where
    given, since a label can name its counting rule); an unknown id is shown as it is."""
    from ukp_sim.kpi import DEFINITIONS

    d = (definitions or DEFINITIONS).get(kpi)
    if d is None:
        return kpi
    return d.label_nb if check_lang(lang) == "nb" else d.label_en


def join_words(items, lang: str) -> str:
    """"2024, 2025 og 2026" / "2024, 2025 and 2026"."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {words(lang, 'report')['and']} " + items[-1]

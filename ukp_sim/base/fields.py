"""Documented dataclass fields: the schema helpers every configuration file kind uses.

A field's ``metadata`` carries its documentation and its rules (min, max, choices, length,
required); the generic validator (``ukp_sim.config.validate``) checks them on load and the
reference generator prints them, so schema, checks and docs cannot drift apart.
"""
from __future__ import annotations

from dataclasses import field

# Plausible upper bounds shared by every schema: far above any Norwegian health community, low
# enough that every value the loader accepts also runs (a huge rate once validated "OK" and then
# died in numpy).
MAX_PER_YEAR = 10_000_000  # admissions, vacancies and other events a year
MAX_POPULATION = 10_000_000
MAX_BEDS = 100_000  # beds, daily intake, team places and patients present at the start
MAX_DAYS = 3650  # mean durations in days
MAX_RELATIVE = 1000  # relative profiles, rate factors and per-10,000 rates


def _f(default, doc: str, **rules):
    """A documented field; ``rules`` are checked on load (min, max, choices, length). An estimated
    effect also names its ``plausible=(low, high)`` range (docs/interventions.md): a run over
    plausible worlds draws it per world, so its intervals include what is not known of it."""
    if isinstance(default, (list, dict)):
        raise TypeError("use a tuple or a default_factory for mutable defaults")
    return field(default=default, metadata={"doc": doc, **rules})


def _req(doc: str, **rules):
    """A documented field without a default: the scenario file must give it."""
    return field(metadata={"doc": doc, "required": True, **rules})


def _fd(factory, doc: str, **rules):
    """A documented field whose default is a table (dict), built fresh for every instance."""
    return field(default_factory=factory, metadata={"doc": doc, **rules})

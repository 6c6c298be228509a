"""Documented dataclass fields: the schema helpers every file kind uses (scenario, intervention
parameters, calibration targets). A field's ``metadata`` carries its doc and the rules the loader
checks on load (min, max, choices, length)."""
from __future__ import annotations

from dataclasses import field


def _f(default, doc: str, **rules):
    """A documented field; ``rules`` are checked on load (min, max, choices, length)."""
    if isinstance(default, (list, dict)):
        raise TypeError("use a tuple or a default_factory for mutable defaults")
    return field(default=default, metadata={"doc": doc, **rules})


def _req(doc: str, **rules):
    """A documented field without a default: the scenario file must give it."""
    return field(metadata={"doc": doc, "required": True, **rules})


def _fd(factory, doc: str, **rules):
    """A documented field whose default is a table (dict), built fresh for every instance."""
    return field(default_factory=factory, metadata={"doc": doc, **rules})

"""The interventions the model knows, in the order it calls them; adding one is one line here.

The order matters where SimPy orders simultaneous events by the order of calls and where units
are numbered: setup builds units in this order (capacity's before the escalation plan's, and
efficient_korttid cuts the units built before it), processes start in this order (the escalation
check before bed sharing's tick), and it is the order of the ``[interventions]`` tables in the
schema. Moving a line changes results.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ukp_sim.interventions import (
    bed_sharing,
    capacity,
    discharge_team,
    early_assessment,
    efficient_korttid,
    escalation_plan,
    frailty_pathway,
)
from ukp_sim.interventions.base import Intervention

_PLUGINS: list[type[Intervention]] = [
    discharge_team.Plugin,
    early_assessment.Plugin,
    frailty_pathway.Plugin,
    capacity.Plugin,
    escalation_plan.Plugin,
    efficient_korttid.Plugin,
    bed_sharing.Plugin,
]
_listeners: list[Callable[[tuple[type[Intervention], ...]], None]] = []


def plugins() -> tuple[type[Intervention], ...]:
    """The registered plug-ins, in call order."""
    return tuple(_PLUGINS)


def ids() -> tuple[str, ...]:
    return tuple(p.id for p in _PLUGINS)


def get(iv_id: str) -> type[Intervention]:
    """The plug-in with this id (KeyError if none)."""
    for p in _PLUGINS:
        if p.id == iv_id:
            return p
    raise KeyError(iv_id)


def on_change(listener: Callable[[tuple[type[Intervention], ...]], None]) -> None:
    """Call ``listener(plugins())`` whenever the registry changes (the scenario schema rebuilds its
    ``[interventions]`` table this way; this layer cannot import the config layer)."""
    _listeners.append(listener)


def _check(plugin: type[Intervention]) -> None:
    if not (isinstance(plugin, type) and issubclass(plugin, Intervention)):
        raise TypeError(f"{plugin!r} is not an Intervention subclass")
    if not plugin.id.isidentifier() or plugin.id in ids():
        raise ValueError(f"intervention id {plugin.id!r} is not a name or is taken")
    for key in ("enabled", "start", "ramp_up_days"):
        if key not in getattr(plugin.Params, "__dataclass_fields__", {}):
            raise TypeError(f"{plugin.id}: its Params must be a dataclass with `{key}`")


@contextmanager
def registered(*extra: type[Intervention]) -> Iterator[None]:
    """Plug-ins added at the end of the registry for the duration of a ``with`` block (a test,
    a notebook); the registry and the scenario schema are as before afterwards."""
    before = list(_PLUGINS)
    try:
        for plugin in extra:
            _check(plugin)
            _PLUGINS.append(plugin)
        _notify()
        yield
    finally:
        _PLUGINS[:] = before
        _notify()


def _notify() -> None:
    current = plugins()
    for listener in _listeners:
        listener(current)

"""What is not known of the measures themselves: each intervention's estimated effects drawn per
plausible world, so an answer over worlds carries the uncertainty of the measures as well as the
uncertainty of the health community.

An estimated effect is a field of an intervention with a ``plausible=(low, high)`` range in its
schema (the ranges of docs/interventions.md: referral coverage, the share sent home instead of to
a korttidsplass, planning-time factors, readmission risk ratios, notice hours, the escalation lag,
the share of beds offered, the cut in korttid stay). Decisions (a team's capacity, who is
eligible, when a measure starts) have no such range and are never drawn.

* World 1 (the best set, the calibrated baseline) keeps every documented default, so a scenario
  in world 1 is exactly itself and a one-world run reproduces the plain run to the last digit.
* Worlds 2..M (M: the ensemble's numbered worlds) get the rows of one Latin hypercube of M - 1
  points over the ranges (McKay, Beckman & Conover 1979), uniform within each range, row k - 2 for
  world k, so a world's draw does not depend on which other worlds run (``--worlds N``).
* A value a scenario file sets itself is a known setting of that what-if and stays in every world;
  only inherited defaults are drawn. The same world gets the same draw in every scenario, so the
  combined strategy's discharge team is the discharge-team scenario's team.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass

import numpy as np

# Keeps the draws' random numbers apart from the replications' (which use the seed alone).
STREAM = 0x1E5E


@dataclass(frozen=True)
class Effect:
    """One estimated effect: an intervention's field with a plausible range."""

    intervention: str
    key: str
    low: float
    high: float
    integer: bool
    default: object  # a number, or a table of numbers (e.g. efficient_korttid.reduction per unit)

    @property
    def name(self) -> str:
        return f"{self.intervention}.{self.key}"

    @property
    def default_value(self) -> float:
        """The default as one number (a table's mean), as the sensitivity tables give it."""
        if isinstance(self.default, dict):
            return float(np.mean(list(self.default.values())))
        return float(self.default)


def uncertain_effects() -> tuple[Effect, ...]:
    """Every intervention field with a ``plausible`` range, in registry and field order."""
    from ukp_sim.interventions import registry

    out = []
    for plugin in registry.plugins():
        hints = typing.get_type_hints(plugin.Params)
        for f in dataclasses.fields(plugin.Params):
            rng = f.metadata.get("plausible")
            if rng is None:
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            out.append(Effect(plugin.id, f.name, float(rng[0]), float(rng[1]), hints[f.name] is int, default))
    return tuple(out)


@dataclass(frozen=True)
class EffectDraws:
    """The effects' values in each numbered world of an ensemble (world 1: the defaults)."""

    effects: tuple[Effect, ...]
    seed: int
    world_count: int
    unit: np.ndarray  # [world 2..M, effect] in [0, 1)

    @classmethod
    def draw(cls, world_count: int, seed: int) -> EffectDraws:
        from scipy.stats import qmc

        effects = uncertain_effects()
        n = max(world_count - 1, 0)
        unit = (qmc.LatinHypercube(d=len(effects), seed=np.random.default_rng((seed, STREAM))).random(n)
                if n else np.empty((0, len(effects))))
        return cls(effects, seed, world_count, unit)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.effects]

    def values(self, world: int) -> np.ndarray:
        """Each effect's value in ``world`` (its default in world 1)."""
        if world == 1:
            return np.array([e.default_value for e in self.effects])
        if not 2 <= world <= self.world_count:
            raise ValueError(f"world {world} is not among the ensemble's worlds 1..{self.world_count}")
        out = []
        for e, u in zip(self.effects, self.unit[world - 2]):
            v = e.low + u * (e.high - e.low)
            out.append(float(np.floor(v + 0.5)) if e.integer else round(float(v), 4))
        return np.array(out)

    def table(self, worlds) -> np.ndarray:
        """[world, effect] for the worlds ``worlds`` (numbers), as recorded beside the results."""
        return np.array([self.values(w) for w in worlds]).reshape(len(worlds), len(self.effects))

    def apply(self, data: dict, provenance: dict, world: int) -> list[str]:
        """Put ``world``'s draws into a scenario's merged data, for every enabled intervention and
        every effect the scenario does not set itself; the names of the effects drawn."""
        if world == 1:
            return []
        drawn = []
        ivs = data.get("interventions", {})
        for e, v in zip(self.effects, self.values(world)):
            table = ivs.get(e.intervention)
            if not isinstance(table, dict) or table.get("enabled") is not True:
                continue
            path = ("interventions", e.intervention, e.key)
            if any(k[:3] == path for k in provenance):
                continue  # the what-if's own setting
            value = int(v) if e.integer else float(v)
            table[e.key] = {unit: value for unit in e.default} if isinstance(e.default, dict) else value
            drawn.append(e.name)
        return drawn

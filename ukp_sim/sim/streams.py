"""Named random streams: one generator per (quantity name, replication).

Each stream's seed is derived from the run seed, the replication number and a stable hash of the
stream's *name*, never from its position in a list. Two scenarios that differ in one value
therefore draw the same random numbers for everything else (common random numbers), and adding a
new stream changes no existing one.
"""
from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


class Streams:
    """Factory and cache of named ``numpy.random.Generator`` objects for one replication."""

    def __init__(self, seed: int, replication: int):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            seq = np.random.SeedSequence(
                entropy=self.seed, spawn_key=(self.replication, name_key(name))
            )
            gen = np.random.Generator(np.random.PCG64(seq))
            self._cache[name] = gen
        return gen

    def names(self) -> list[str]:
        """The streams used so far, for run metadata and tests."""
        return sorted(self._cache)

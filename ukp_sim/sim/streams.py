"""Named random streams: one generator per (quantity name, replication).

Each stream's seed is derived from the run seed, the replication number and a stable hash of the
stream's *name*, never from its position in a list. Two scenarios that differ in one value
therefore draw the same random numbers for everything else (common random numbers), and adding a
new stream changes no existing one.

A stream is ``PCG64(SeedSequence(entropy=seed, spawn_key=(replication, name_key(name))))``. A
replication makes some 700 streams, and numpy takes longer to make one that way than to draw a
block from it, so ``Streams`` makes the same generator a faster way (``_StreamSeed``); the
tests check that the draws are the same.
"""
from __future__ import annotations

import hashlib

import numpy as np

_M32 = 0xFFFFFFFF
_POOL_SIZE = 4  # numpy's default pool of 4 words


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def _uint32_words(n: int) -> list[int]:
    """A non-negative integer as 32-bit words, lowest first ([0] for 0), as numpy splits seeds."""
    if n == 0:
        return [0]
    words = []
    while n > 0:
        words.append(n & _M32)
        n >>= 32
    return words


def _generate_constants() -> tuple[tuple[int, int], ...]:
    """The (xor, multiplier) pairs ``SeedSequence.generate_state`` walks through for 8 words:
    its hash constant starts at INIT_B and is multiplied by MULT_B before each use."""
    hc, out = 0x8B51F9DD, []
    for _ in range(8):
        nxt = (hc * 0x58F38DED) & _M32
        out.append((hc, nxt))
        hc = nxt
    return tuple(out)


_GENERATE = _generate_constants()


class _StreamSeed(np.random.SeedSequence):
    """``SeedSequence(entropy=seed, spawn_key=(replication, key))`` made from the entropy array
    numpy assembles from those (the seed's words padded with zeros to the pool size, then the
    spawn key's words), which numpy mixes into the same pool; and ``generate_state`` for PCG64's
    four 64-bit words computed with Python integers, the same arithmetic as numpy's but without
    numpy scalars (the slow part of making a stream)."""

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != 4 or dtype is not np.uint64:
            return super().generate_state(n_words, dtype)
        pool = self.pool.tolist()
        w = []
        for i, (x, m) in enumerate(_GENERATE):
            v = ((pool[i & 3] ^ x) * m) & _M32
            w.append(v ^ (v >> 16))
        return np.array([w[0] | w[1] << 32, w[2] | w[3] << 32, w[4] | w[5] << 32, w[6] | w[7] << 32],
                        dtype=np.uint64)


class Streams:
    """Factory and cache of named ``numpy.random.Generator`` objects for one replication."""

    def __init__(self, seed: int, replication: int):
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}
        run = _uint32_words(self.seed)
        run += [0] * (_POOL_SIZE - len(run))  # numpy pads the seed when there is a spawn key
        self._entropy_head = run + _uint32_words(self.replication)

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            entropy = np.array(self._entropy_head + _uint32_words(name_key(name)), dtype=np.uint32)
            gen = np.random.Generator(np.random.PCG64(_StreamSeed(entropy)))
            self._cache[name] = gen
        return gen

    def names(self) -> list[str]:
        """The streams used so far, for run metadata and tests."""
        return sorted(self._cache)

"""Duration distributions given by mean and coefficient of variation, as planners think of them.

Every draw is made from a uniform number ``u`` in (0, 1) by the inverse distribution function.
The uniform is drawn once per patient from a named stream, so a scenario that changes a mean
(a shorter korttid stay, say) moves each patient's duration monotonically instead of reshuffling
who gets a long stay: that keeps common random numbers tight across scenarios.

numpy and scipy are imported on first use, not at import: the scenario schema holds ``Dist``
values, and ``ukp-sim validate`` and ``--help`` must start without those libraries.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

KINDS = ("lognormal", "gamma", "exponential", "fixed")
# Bounds the loader enforces, so every accepted duration draws finite numbers: a mean of 10,000
# (days, or hours for decision times) and a cv of 10 are far beyond any stay in the model.
MAX_MEAN = 10_000.0
MAX_CV = 10.0
MIN_CV = 0.001  # a cv is 0 (no spread) or at least this: gamma's shape 1/cv^2 overflows below it
_STD_NORMAL = NormalDist()
# What NormalDist.inv_cdf computes after its argument checks (``inverse`` clamps u into (0, 1)):
# the same function of (p, mu=0.0, sigma=1.0), so the same numbers. Private to the statistics
# module; ``inverse`` falls back to NormalDist.inv_cdf if it is gone.
_inv_cdf_raw = getattr(statistics, "_normal_dist_inv_cdf", None)
_special = None


def _scipy_special():
    """scipy.special, imported on the first draw that needs it."""
    global _special
    if _special is None:
        from scipy import special

        _special = special
    return _special


@dataclass(frozen=True)
class Dist:
    """A non-negative duration: ``kind`` with ``mean`` and ``cv`` (standard deviation / mean).

    ``exponential`` ignores ``cv`` (it is 1); ``fixed`` ignores it too (it is 0).
    """

    kind: str = field(default="lognormal", metadata={"choices": KINDS, "doc": "distribution family"})
    mean: float = field(default=1.0, metadata={"min": 0.0, "max": MAX_MEAN,
                                               "doc": "mean duration (days, or hours for `decision_hours`)"})
    cv: float = field(default=1.0, metadata={"min": 0.0, "max": MAX_CV, "min_nonzero": MIN_CV,
                                             "doc": "coefficient of variation = standard deviation / mean; "
                                             "ignored by `exponential` (cv is 1) and `fixed` (cv is 0)"})

    @cached_property
    def _sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv * self.cv))

    def from_uniform(self, u: float) -> float:
        """The duration whose distribution function value is ``u`` (scalar; a hot loop uses ``inverse``)."""
        if self.kind == "fixed" or self.mean == 0.0:
            return self.mean
        if self.kind == "exponential":
            return -self.mean * math.log1p(-u)
        if self.kind == "lognormal":
            if self.cv == 0.0:
                return self.mean
            s = self._sigma
            u = min(max(u, 1e-15), 1.0 - 1e-15)  # a generator may return exactly 0
            return self.mean * math.exp(s * _STD_NORMAL.inv_cdf(u) - 0.5 * s * s)
        # gamma
        if self.cv == 0.0:
            return self.mean
        shape = 1.0 / (self.cv * self.cv)
        return float(_scipy_special().gammaincinv(shape, u)) * self.mean / shape

    def inverse(self) -> Callable[[float], float]:
        """``from_uniform`` as a function with the choice of family made once: for hot loops that
        draw many durations of one distribution. Same arithmetic, so the same numbers. Not cached
        on the instance: scenarios are pickled for worker processes, and a closure is not."""
        mean, cv = self.mean, self.cv
        if self.kind == "fixed" or mean == 0.0:
            return lambda u: mean
        if self.kind == "exponential":
            neg_mean = -mean
            log1p = math.log1p
            return lambda u: neg_mean * log1p(-u)
        if cv == 0.0:
            return lambda u: mean
        if self.kind == "lognormal":
            s = self._sigma
            half_s2 = 0.5 * s * s
            exp, raw, inv_cdf = math.exp, _inv_cdf_raw, _STD_NORMAL.inv_cdf
            lo, hi = 1e-15, 1.0 - 1e-15
            if raw is None:  # pragma: no cover
                return lambda u: mean * exp(s * inv_cdf(min(max(u, lo), hi)) - half_s2)

            def lognormal(u: float) -> float:
                if u < lo:  # a generator may return exactly 0 (as min(max(u, lo), hi))
                    u = lo
                elif u > hi:
                    u = hi
                return mean * exp(s * raw(u, 0.0, 1.0) - half_s2)

            return lognormal
        shape = 1.0 / (cv * cv)

        def gamma(u: float) -> float:
            return float(_scipy_special().gammaincinv(shape, u)) * mean / shape

        return gamma

    def from_uniform_array(self, u: np.ndarray) -> np.ndarray:
        """Vectorised ``from_uniform`` for pre-drawn blocks."""
        import numpy as np

        special = _scipy_special()
        u = np.asarray(u, dtype=float)
        if self.kind == "fixed" or self.mean == 0.0 or (self.cv == 0.0 and self.kind != "exponential"):
            return np.full(u.shape, self.mean)
        if self.kind == "exponential":
            return -self.mean * np.log1p(-u)
        if self.kind == "lognormal":
            s = self._sigma
            return self.mean * np.exp(s * special.ndtri(u) - 0.5 * s * s)
        shape = 1.0 / (self.cv * self.cv)
        return special.gammaincinv(shape, u) * self.mean / shape

    def scaled(self, factor: float) -> "Dist":
        """The same shape with the mean multiplied by ``factor``."""
        return Dist(self.kind, self.mean * factor, self.cv)

"""Duration distributions by mean and cv, drawn by inverse transform from one uniform."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ukp_sim.base.distributions import KINDS, Dist

N = 200_000
Z = 5.0  # tolerance in standard errors; the uniforms are seeded, so the tests are deterministic

RANDOM_KINDS = [
    Dist("exponential", 9.0, 1.0),
    Dist("lognormal", 25.0, 0.8),
    Dist("lognormal", 3.0, 1.5),
    Dist("gamma", 7.0, 0.9),
    Dist("gamma", 20.0, 0.3),
]
ALL_KINDS = RANDOM_KINDS + [Dist("fixed", 4.0, 0.5)]


def uniforms(seed: int = 20231, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def true_cv(d: Dist) -> float:
    return {"exponential": 1.0, "fixed": 0.0}.get(d.kind, d.cv)


def kurtosis(d: Dist) -> float:
    """The (non-excess) kurtosis, for the standard error of the sample variance."""
    cv = true_cv(d)
    if d.kind == "lognormal":
        w = 1.0 + cv * cv
        return w**4 + 2 * w**3 + 3 * w**2 - 3
    if d.kind == "exponential":
        return 9.0
    return 3.0 + 6.0 * cv * cv  # gamma: excess kurtosis 6 / shape


def test_the_four_kinds_are_known():
    assert set(KINDS) == {"lognormal", "gamma", "exponential", "fixed"}


@pytest.mark.parametrize("d", ALL_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_a_higher_uniform_never_gives_a_shorter_duration(d):
    u = np.linspace(1e-9, 1 - 1e-9, 2001)
    scalar = np.array([d.from_uniform(x) for x in u])
    assert np.all(np.diff(scalar) >= 0)
    assert np.all(np.diff(d.from_uniform_array(u)) >= 0)
    if d.kind != "fixed":
        assert np.all(np.diff(scalar) > 0)  # strictly: each patient's duration moves with u
        assert scalar[0] < d.mean < scalar[-1]
    assert np.all(scalar >= 0)


@pytest.mark.parametrize("d", RANDOM_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_monte_carlo_mean_matches_the_given_mean(d):
    x = d.from_uniform_array(uniforms())
    standard_error = d.mean * true_cv(d) / math.sqrt(N)
    assert abs(x.mean() - d.mean) < Z * standard_error, (x.mean(), d.mean, standard_error)


@pytest.mark.parametrize("d", RANDOM_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_monte_carlo_cv_matches_the_given_cv(d):
    x = d.from_uniform_array(uniforms(seed=7))
    cv = true_cv(d)
    # relative standard errors: of the sample sd (delta method on the variance, whose variance is
    # (kurtosis - 1) sigma^4 / n) and of the sample mean (cv / sqrt n); added, as an upper bound
    rel_se = 0.5 * math.sqrt((kurtosis(d) - 1.0) / N) + cv / math.sqrt(N)
    observed = x.std(ddof=1) / x.mean()
    assert abs(observed / cv - 1.0) < Z * rel_se, (observed, cv, rel_se)


def test_lognormal_median_is_below_its_mean_as_the_shape_implies():
    d = Dist("lognormal", 25.0, 0.8)
    sigma2 = math.log1p(0.8**2)
    assert d.from_uniform(0.5) == pytest.approx(25.0 * math.exp(-0.5 * sigma2), rel=1e-12)


def test_exponential_ignores_cv():
    a, b = Dist("exponential", 9.0, 1.0), Dist("exponential", 9.0, 0.1)
    for u in (0.1, 0.5, 0.9):
        assert a.from_uniform(u) == b.from_uniform(u) == pytest.approx(-9.0 * math.log(1 - u))


@pytest.mark.parametrize("u", [0.0, 1e-12, 0.3, 0.999999])
def test_fixed_duration_is_always_the_mean(u):
    d = Dist("fixed", 4.0, 0.5)
    assert d.from_uniform(u) == 4.0
    np.testing.assert_array_equal(d.from_uniform_array(np.array([u, u])), [4.0, 4.0])


@pytest.mark.parametrize("kind", ["lognormal", "gamma"])
def test_zero_cv_gives_the_mean(kind):
    d = Dist(kind, 12.0, 0.0)
    assert d.from_uniform(0.01) == d.from_uniform(0.99) == 12.0
    np.testing.assert_array_equal(d.from_uniform_array(np.array([0.01, 0.99])), [12.0, 12.0])


@pytest.mark.parametrize("kind", KINDS)
def test_zero_mean_gives_zero_duration(kind):
    d = Dist(kind, 0.0, 1.0)
    assert d.from_uniform(0.7) == 0.0
    np.testing.assert_array_equal(d.from_uniform_array(np.array([0.2, 0.7])), [0.0, 0.0])


@pytest.mark.parametrize("d", ALL_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_scalar_and_vectorised_draws_agree(d):
    u = np.concatenate([[1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12], uniforms(seed=3, n=2000)])
    vectorised = d.from_uniform_array(u)
    scalar = np.array([d.from_uniform(float(x)) for x in u])
    assert vectorised.shape == u.shape
    np.testing.assert_allclose(scalar, vectorised, rtol=1e-9, atol=0)


@pytest.mark.parametrize("d", ALL_KINDS + [Dist("lognormal", 3.0, 0.0), Dist("gamma", 3.0, 0.0),
                                            Dist("lognormal", 0.0, 1.0), Dist("exponential", 0.0, 1.0)],
                         ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_the_inverse_function_gives_exactly_the_scalar_draws(d):
    # the simulation's hot loop draws with d.inverse(): results must not move by a bit
    f = d.inverse()
    u = [0.0, 1e-300, 1e-15, 0.5, 1 - 1e-12, 1 - 2**-53] + uniforms(seed=4, n=5000).tolist()
    assert [f(x) for x in u] == [d.from_uniform(x) for x in u]


@pytest.mark.parametrize("d", ALL_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_a_uniform_of_exactly_zero_does_not_crash(d):
    # numpy's random() may return exactly 0.0
    x = d.from_uniform(0.0)
    assert math.isfinite(x) and 0.0 <= x <= d.mean
    arr = d.from_uniform_array(np.array([0.0, 0.5]))
    assert np.all(np.isfinite(arr)) and np.all(arr >= 0)


@pytest.mark.parametrize("d", ALL_KINDS, ids=lambda d: f"{d.kind}-{d.mean}-{d.cv}")
def test_scaling_multiplies_the_mean_and_keeps_the_shape(d):
    s = d.scaled(0.5)
    assert s.mean == pytest.approx(d.mean * 0.5)
    assert (s.kind, s.cv) == (d.kind, d.cv)
    assert d.mean == ALL_KINDS[ALL_KINDS.index(d)].mean  # the original is unchanged
    for u in (0.05, 0.5, 0.95):
        assert s.from_uniform(u) == pytest.approx(0.5 * d.from_uniform(u), rel=1e-12)


def test_dist_is_frozen():
    d = Dist("gamma", 7.0, 0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.mean = 8.0  # type: ignore[misc]

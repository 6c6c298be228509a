"""Named random streams: reproducible, independent, and independent of the order of first use."""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.sim.streams import Streams, name_key


def draws(seed: int, replication: int, name: str, n: int = 20) -> np.ndarray:
    return Streams(seed, replication)(name).random(n)


def test_same_seed_replication_and_name_give_the_same_draws():
    np.testing.assert_array_equal(draws(20231, 3, "korttid_los"), draws(20231, 3, "korttid_los"))


def test_a_stream_is_cached_within_a_replication():
    s = Streams(1, 0)
    assert s("arrivals") is s("arrivals")
    first = s("arrivals").random(5)
    second = s("arrivals").random(5)
    assert not np.array_equal(first, second)  # continues, does not restart
    np.testing.assert_array_equal(np.concatenate([first, second]), draws(1, 0, "arrivals", 10))


@pytest.mark.parametrize(
    "other",
    [
        (20231, 3, "korttid_lot"),  # another name
        (20231, 4, "korttid_los"),  # another replication
        (20232, 3, "korttid_los"),  # another seed
    ],
)
def test_different_name_replication_or_seed_give_different_draws(other):
    reference = draws(20231, 3, "korttid_los")
    assert not np.array_equal(reference, draws(*other))
    # not merely shifted or correlated: no draw is shared
    assert not set(reference) & set(draws(*other))


def test_replication_and_name_are_not_interchangeable():
    # spawn_key (replication, name_key) must not collide just because the parts are swapped
    assert not np.array_equal(draws(5, 1, "a"), draws(5, 0, "a"))
    assert not np.array_equal(draws(0, 0, "x"), draws(0, 0, "y"))


def test_adding_a_stream_does_not_change_another_streams_draws():
    alone = Streams(7, 2)
    y_alone = alone("y").random(50)

    crowded = Streams(7, 2)
    crowded("x").random(1000)  # a new stream, used first and heavily
    crowded("z").normal(size=10)
    y_crowded = crowded("y").random(50)

    np.testing.assert_array_equal(y_alone, y_crowded)
    assert crowded.names() == ["x", "y", "z"]


def test_name_key_is_stable_across_versions_and_processes():
    # Hard-coded: a change here silently changes every stream of every saved run.
    assert name_key("korttid_los") == 15910067761799962601
    assert name_key("korttid_los") == name_key("korttid_los")
    assert 0 <= name_key("anything") < 2**64
    assert name_key("korttid_los") != name_key("korttid_lo")
    assert isinstance(name_key("Øya helsehus"), int)  # non-ASCII names work


@pytest.mark.parametrize("seed, replication", [(-1, 0), (0, -1), (-5, -5)])
def test_negative_seed_or_replication_is_refused(seed, replication):
    with pytest.raises(ValueError):
        Streams(seed, replication)


def test_zero_seed_and_replication_are_allowed():
    s = Streams(0, 0)
    assert s.seed == 0 and s.replication == 0
    assert 0.0 <= s("a").random() < 1.0


@pytest.mark.parametrize("seed", [0, 1, 7, 20231, 2**32 - 1, 2**32, 2**40 + 5, 2**130 + 17])
@pytest.mark.parametrize("replication", [0, 1, 29, 2**32 + 3])
def test_a_stream_is_numpys_seed_sequence_of_seed_replication_and_name(seed, replication):
    # Streams makes its generators a faster way; they must be exactly these (same state, same draws)
    for name in ("a", "admission/treatment_los/Trondheim", "x" * 40):
        expected = np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(entropy=seed, spawn_key=(replication, name_key(name)))))
        got = Streams(seed, replication)(name)
        assert got.bit_generator.state == expected.bit_generator.state
        np.testing.assert_array_equal(got.random(10), expected.random(10))
        assert got.bit_generator.seed_seq.generate_state(3).tolist() == \
            expected.bit_generator.seed_seq.generate_state(3).tolist()  # the pool, through numpy's own code

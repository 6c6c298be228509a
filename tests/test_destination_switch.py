"""Destination switching under congestion: a korttid-bound UKP who has waited
``switch_home_after_days`` for a bed may go home with new home services instead, if a home-service
start is free on the municipality's next reception day; only the ``switch_home_share`` of
korttid-bound patients for whom that is acceptable. Off (either 0) leaves every result as it was."""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model
from ukp_sim.sim.records import HOME_NEW, KORTTID

CONGESTED = ("[municipalities.Testby]\nhome_service_intake_per_day = 3.0\n"
             "[municipalities.Testby.korttid]\nunits = { korttid = { beds = 9 } }\n")


def _first_episodes(rec) -> dict[int, tuple]:
    st = rec.stays
    out = {}
    for i in np.flatnonzero((st["episode"] == 1) & ~np.isnan(st["t_declared"]) & ~st["initial"]):
        out[int(st["patient"][i])] = (int(st["destination"][i]), st["t_ready"][i], st["t_discharged"][i])
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("switch")
    from tests.conftest import SMALL_PATH

    def write(name, extra):
        path = folder / name
        path.write_text(f'extends = "{SMALL_PATH}"\nname = "{path.stem}"\n[period]\nyears = 2\n' + CONGESTED + extra,
                        encoding="utf-8")
        return load_scenario(path)

    off = write("off.toml", "")
    on = write("on.toml", "switch_home_after_days = 3.0\nswitch_home_share = 0.5\n")
    return {k: Model(s, 12, 0).run() for k, s in (("off", off), ("on", on))}


def test_only_korttid_bound_patients_switch_and_only_after_the_wait(runs):
    before, after = _first_episodes(runs["off"]), _first_episodes(runs["on"])
    korttid_bound = [p for p, (dest, *_rest) in before.items() if dest == KORTTID and p in after]
    switched = [p for p in korttid_bound if after[p][0] == HOME_NEW]
    assert len(korttid_bound) > 300 and len(switched) > 20
    for p in switched:
        _, t_ready, t_out = after[p]
        assert t_out - t_ready >= 3.0 - 1e-9  # waited the documented days first
    # nobody else changes destination: first episodes draw their destination from the same uniform
    assert all(after[p][0] == dest for p, (dest, *_r) in before.items() if p in after and dest != KORTTID)
    # at most the acceptable share switches (the eligible are a random half of the korttid-bound)
    assert len(switched) / len(korttid_bound) < 0.5


def test_switching_shortens_the_wait_in_a_congested_municipality(runs):
    def mean_wait(rec):
        st = rec.stays
        done = ~np.isnan(st["t_declared"]) & ~np.isnan(st["t_discharged"])
        return float(np.mean(st["t_discharged"][done] - st["t_declared"][done]))

    assert mean_wait(runs["on"]) < 0.9 * mean_wait(runs["off"])


@pytest.mark.parametrize("extra", ["switch_home_after_days = 3.0\n", "switch_home_share = 0.5\n"])
def test_half_a_switch_is_no_switch(write_scenario, small_scenario, extra):
    s = load_scenario(write_scenario("[municipalities.Testby.korttid]\n" + extra, name="half.toml"))
    a, b = Model(small_scenario, 6, 1).run(), Model(s, 6, 1).run()
    for col in ("t_declared", "t_ready", "t_discharged", "destination"):
        np.testing.assert_array_equal(a.stays[col], b.stays[col])

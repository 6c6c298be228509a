"""Hospital patients first in the korttid queue: the ``hospital_first_share`` of applicants from
home (``direct_admissions_per_year``) wait behind every patient from hospital, whenever they
applied, because the municipality pays for each UKP-day. 0 is the one first-come queue of before,
and must reproduce runs exactly."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

from ukp_sim.base.distributions import Dist
from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model
from ukp_sim.sim.municipality import KorttidPool, KorttidUnit
from ukp_sim.sim.records import KORTTID


def _pool(beds: int) -> tuple[simpy.Environment, KorttidPool, KorttidUnit]:
    env = simpy.Environment()
    unit = KorttidUnit(uid=0, name="korttid", municipality="Testby", beds=beds, los=Dist("lognormal", 20.0, 0.8))
    return env, KorttidPool(env, [unit]), unit


def test_a_freed_bed_goes_to_the_first_who_does_not_yield():
    env, pool, unit = _pool(1)
    taken, _ = pool.claim()
    assert taken is unit
    _, home_yielding = pool.claim(yields=True)  # applied first, from home, yields
    _, hospital = pool.claim()  # a patient from hospital
    _, home_urgent = pool.claim()  # from home, does not yield: keeps its place
    assert (pool.waiting, pool.yielding) == (3, 1)
    served = []
    for _ in range(3):
        pool.release(unit)
        served.append(next(r for r in (home_yielding, hospital, home_urgent) if r.triggered and r not in served))
    assert served == [hospital, home_urgent, home_yielding]
    assert (pool.waiting, pool.yielding) == (0, 0)


def test_a_newcomer_takes_a_free_bed_past_applicants_who_yield():
    env, pool, unit = _pool(1)
    pool.claim()
    _, yielding = pool.claim(yields=True)
    pool.set_capacity(unit, 1)  # nothing frees: the yielding applicant still waits
    assert not yielding.triggered
    pool.set_capacity(unit, 2)  # a bed opens and goes to the one waiting
    assert yielding.triggered and pool.waiting == 0
    pool.set_capacity(unit, 3)
    _, second = pool.claim(yields=True)
    assert second is None  # a free bed with nobody waiting is taken at once, yielding or not
    _, late = pool.claim(yields=True)
    _, hospital = pool.claim()  # no bed: queued behind the yielding applicant in time, served first
    pool.release(unit)
    assert hospital.triggered and not late.triggered


CONGESTED = ("[municipalities.Testby.korttid]\ndirect_admissions_per_year = 100.0\n"
             "units = { korttid = { beds = 22 } }\n")


def _korttid_wait(rec) -> float:
    """Mean days from ready to discharge of first episodes bound for korttid."""
    st = rec.stays
    sel = ((st["episode"] == 1) & (st["destination"] == KORTTID) & ~st["initial"]
           & ~np.isnan(st["t_ready"]) & ~np.isnan(st["t_discharged"]))
    return float(np.mean(st["t_discharged"][sel] - st["t_ready"][sel]))


def test_share_zero_reproduces_the_first_come_queue_exactly(write_scenario):
    plain = load_scenario(write_scenario(CONGESTED, name="plain.toml"))
    zero = load_scenario(write_scenario(CONGESTED + "hospital_first_share = 0.0\n", name="zero.toml"))
    a, b = Model(plain, 5, 1), Model(zero, 5, 1)
    ra, rb = a.run(), b.run()
    for col in ("t_admitted", "t_declared", "t_ready", "t_discharged", "destination"):
        np.testing.assert_array_equal(ra.stays[col], rb.stays[col])
    assert not any(n.startswith("direct/yields/") for n in b.streams.names())  # no draw of its own when off
    assert any(n.startswith("direct/arrivals/") for n in b.streams.names())  # (the applicants were drawn)


@pytest.fixture(scope="module")
def waits(tmp_path_factory):
    from tests.conftest import SMALL_PATH

    folder = tmp_path_factory.mktemp("first")
    out = {}
    for share in (0.0, 1.0):
        path = folder / f"share{share}.toml"
        path.write_text(f'extends = "{SMALL_PATH}"\nname = "{path.stem}"\n[period]\nyears = 2\n' + CONGESTED
                        + f"hospital_first_share = {share}\n", encoding="utf-8")
        out[share] = [_korttid_wait(Model(load_scenario(path), 21, r).run()) for r in range(3)]
    return out


def test_hospital_patients_wait_less_for_a_bed_when_home_applicants_yield(waits):
    """About 93 % of the 22 beds are in use (15 from hospital, 5.5 from home): with one queue a UKP
    waits behind home applicants too; when they yield, only behind other UKP. Paired by
    replication (common random numbers), every replication must show it, by a clear margin."""
    for first_come, hospital_first in zip(waits[0.0], waits[1.0]):
        assert hospital_first < 0.8 * first_come, (first_come, hospital_first)

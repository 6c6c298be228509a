"""Functional tests under common random numbers (CRN): same seed and replication, one change.

* more korttidsplasser -> fewer UKP-days; more admissions -> more UKP-days;
* the same seed reproduces every record, also in a fresh interpreter with another hash seed;
  another seed (or replication) does not;
* changing one municipality's beds changes nothing that does not depend on them: admissions,
  patient attributes, declarations, decisions and destinations of first stays, the background
  stream, and every record of the other municipalities (they share no resource).

All on the full baseline (about 0.3 CPU-s a run); runs are cached per (scenario, seed).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model, period_bounds
from ukp_sim.sim.records import Records

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "prior" / "baseline_prior.toml"
SEEDS = (0, 1, 2, 3, 4)


@lru_cache(maxsize=None)
def baseline():
    return load_scenario(BASELINE)


def with_beds(s, factor: float, only: str | None = None):
    """Every unit's beds times ``factor`` (rounded), in every municipality or only in ``only``."""
    munis = {}
    for name, m in s.municipalities.items():
        if only is None or name == only:
            units = {u: dataclasses.replace(x, beds=round(x.beds * factor)) for u, x in m.korttid.units.items()}
            m = dataclasses.replace(m, korttid=dataclasses.replace(m.korttid, units=units))
        munis[name] = m
    return dataclasses.replace(s, municipalities=munis)


def with_admissions(s, factor: float):
    return dataclasses.replace(
        s, hospital=dataclasses.replace(s.hospital, admissions_per_year=s.hospital.admissions_per_year * factor)
    )


VARIANTS = {
    "baseline": lambda s: s,
    "beds+20%": lambda s: with_beds(s, 1.2),
    "admissions+20%": lambda s: with_admissions(s, 1.2),
    "Melhus beds-50%": lambda s: with_beds(s, 0.5, only="Melhus"),
}


@lru_cache(maxsize=None)
def run(variant: str, seed: int, replication: int = 0) -> Records:
    return Model(VARIANTS[variant](baseline()), seed, replication).run()


def ukp_days_in_period(s, rec: Records) -> int:
    """UKP-days falling in the reported period: day d counts if the patient is UKP at the
    midnight that ends it (t_declared < d + 1 <= t_discharged), so a stay has
    floor(t_discharged) - floor(t_declared) UKP-days in all (discharge date - declaration date);
    a patient still waiting at the end counts every midnight up to the end of the period."""
    origin, start, end = period_bounds(s)
    a, b = (start - origin).days, (end - origin).days
    st = rec.stays
    d = np.isfinite(st["t_declared"])
    first = np.floor(st["t_declared"][d]) + 1  # first midnight after the declaration
    dis = st["t_discharged"][d]
    last = np.floor(np.where(np.isnan(dis), np.inf, dis))  # last midnight before the discharge
    first = np.maximum(first, a + 1)
    last = np.minimum(last, b)
    return int(np.clip(last - first + 1, 0, None).sum())


def ukp_days(variant: str, seed: int) -> int:
    return ukp_days_in_period(VARIANTS[variant](baseline()), run(variant, seed))


# ------------------------------------------------------------------------------------------------
# Capacity and demand
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow  # statistical: 5 seeds x 2 variants of the full baseline
def test_more_korttid_beds_never_raise_ukp_days():
    """+20 % beds in every unit: fewer UKP-days, per seed and on average.

    Monotonicity is NOT a theorem here, even under CRN: a patient discharged earlier is
    readmitted earlier and books a home-service slot or a bed ahead of someone else, a patient
    may get a bed in another unit (Øya: mean LOS 25 d, others 20 d) and hold it longer, beds are
    assigned while reception is closed, readmissions draw their random numbers in arrival order.
    Measured when designing (baseline with 10 % complex planning), seeds 0-7: 6 to 209 of about
    8,400 UKP episodes waited longer with more beds, together 13 to 326 extra days of waiting,
    while the total UKP-days in the period fell by 657 to 4,499 days (8-36 %); the smallest
    ratio of fall to extra waiting was 3.5 (seed 6). So the mean over 5 seeds is asserted first
    (the robust statement), and the per-seed comparison is kept because its margin is still
    several times the largest measured non-monotone effect: a seed where more beds give more
    UKP-days is worth investigating (if a recalibrated baseline makes the +20 % effect small,
    this per-seed part is the one to revisit, not the mean).
    """
    base = {seed: ukp_days("baseline", seed) for seed in SEEDS}
    more = {seed: ukp_days("beds+20%", seed) for seed in SEEDS}
    print("UKP-days baseline", base, "beds +20 %", more)
    assert all(v > 0 for v in base.values())
    assert np.mean(list(more.values())) < np.mean(list(base.values()))
    for seed in SEEDS:
        assert more[seed] <= base[seed], f"seed {seed}: {more[seed]} UKP-days with +20 % beds > {base[seed]}"


@pytest.mark.slow  # statistical: 5 seeds x 2 variants of the full baseline
def test_more_admissions_raise_ukp_days():
    """+20 % admissions: more UKP-days on average over 5 seeds. The Poisson counts are redrawn
    with a higher rate, so CRN only holds loosely here and only the mean is asserted (measured
    when designing, seeds 0-7: +30 % to +123 % per seed)."""
    base = [ukp_days("baseline", seed) for seed in SEEDS]
    more = [ukp_days("admissions+20%", seed) for seed in SEEDS]
    print("UKP-days baseline", base, "admissions +20 %", more)
    assert np.mean(more) > np.mean(base)
    # And the demand did go up by about 20 %: UKP declarations over the whole run (about 9,700, a
    # Poisson count with SD about 100 per seed), so the ratio of the 5-seed means has an SD of
    # about 1.2 * sqrt(2) * 100 / sqrt(5) / 9,700 = 0.8 %; 0.03 is about 4 SD.
    s0, s1 = baseline(), VARIANTS["admissions+20%"](baseline())
    n0 = [np.count_nonzero(np.isfinite(run("baseline", k).stays["t_declared"])) for k in SEEDS]
    n1 = [np.count_nonzero(np.isfinite(run("admissions+20%", k).stays["t_declared"])) for k in SEEDS]
    assert np.mean(n1) / np.mean(n0) == pytest.approx(1.2, abs=0.03)
    assert s1.hospital.admissions_per_year == pytest.approx(1.2 * s0.hospital.admissions_per_year)


# ------------------------------------------------------------------------------------------------
# Reproducibility
# ------------------------------------------------------------------------------------------------
def tables(rec: Records) -> dict[str, np.ndarray]:
    out = {f"stays.{c}": v for c, v in rec.stays.items()}
    out.update({f"korttid.{c}": v for c, v in rec.korttid.items()})
    out["background_admitted"] = rec.background_admitted
    out["background_discharged"] = rec.background_discharged
    out["horizon"] = np.array([rec.horizon])
    return out


def same_array(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def digest(rec: Records) -> str:
    h = hashlib.sha256()
    for name, arr in sorted(tables(rec).items()):
        arr = np.ascontiguousarray(arr)
        h.update(name.encode())
        h.update(str(arr.dtype).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def test_same_seed_gives_identical_records():
    r1 = Model(baseline(), 20231, 3).run()
    r2 = Model(load_scenario(BASELINE), 20231, 3).run()  # a fresh model from a freshly loaded file
    t1, t2 = tables(r1), tables(r2)
    assert t1.keys() == t2.keys()
    for name in t1:
        assert same_array(t1[name], t2[name]), f"{name} differs between two runs with the same seed"
    assert t1["stays.t_discharged"].size > 1000 and np.isnan(t1["stays.t_discharged"]).any()


def test_same_seed_identical_in_a_fresh_interpreter():
    """Guards against anything that depends on Python's per-process hash salt or on state
    left over in the process (caches, global generators)."""
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "from test_model_functional import digest;"
        "from ukp_sim.sim.model import Model; from ukp_sim.config.loader import load_scenario;"
        "print(json.dumps(digest(Model(load_scenario(sys.argv[2]), 20231, 3).run())))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(BASELINE)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == digest(Model(baseline(), 20231, 3).run())


def test_different_seed_or_replication_gives_different_records():
    r0 = run("baseline", 0)
    for other in (run("baseline", 1), Model(baseline(), 0, 1).run()):
        t0, t1 = tables(r0), tables(other)
        differing = [n for n in t0 if n != "horizon" and not same_array(t0[n], t1[n])]
        # Every random column must change, not just one.
        for col in ("stays.t_admitted", "stays.t_declared", "stays.t_discharged", "stays.frail",
                    "korttid.t_start", "background_admitted", "background_discharged"):
            assert col in differing, f"{col} is identical under another seed/replication"


# ------------------------------------------------------------------------------------------------
# Common random numbers
# ------------------------------------------------------------------------------------------------
FIRST_STAY_COLUMNS = ("patient", "municipality", "frail", "new_to_services", "episode", "initial",
                      "needs_services", "t_admitted", "t_declared", "t_ready", "destination")


def sorted_rows(table: dict, mask: np.ndarray, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    order = np.lexsort(tuple(table[k][mask] for k in reversed(keys)))
    return {c: v[mask][order] for c, v in table.items()}


@pytest.mark.parametrize("seed", (0, 1))
def test_one_municipality_beds_leave_everything_else_unchanged(seed):
    s0, s1 = baseline(), VARIANTS["Melhus beds-50%"](baseline())
    assert s1.municipalities["Melhus"] != s0.municipalities["Melhus"]
    r0, r1 = run("baseline", seed), run("Melhus beds-50%", seed)

    # The change matters for Melhus itself ...
    melhus = list(s0.municipalities).index("Melhus")
    d0 = r0.stays["t_discharged"][r0.stays["municipality"] == melhus]
    d1 = r1.stays["t_discharged"][r1.stays["municipality"] == melhus]
    assert d0.size != d1.size or not np.array_equal(d0, d1, equal_nan=True)

    # ... but first admissions are drawn up front, before anything depends on capacity: the
    # same patients, with the same attributes, admitted, declared and decided at the same times,
    # with the same destinations, in the same rows.
    f0 = (r0.stays["episode"] == 1) & ~r0.stays["initial"]
    f1 = (r1.stays["episode"] == 1) & ~r1.stays["initial"]
    assert np.array_equal(np.flatnonzero(f0), np.flatnonzero(f1))
    for c in FIRST_STAY_COLUMNS:
        assert same_array(r0.stays[c][f0], r1.stays[c][f1]), f"first stays: {c} changed"
    assert same_array(r0.background_admitted, r1.background_admitted)
    assert same_array(r0.background_discharged, r1.background_discharged)

    # The municipalities share no resource, so every record of the others is unchanged
    # (rows may be appended in another order; compare them sorted).
    for c in ("stays", "korttid"):
        t0, t1 = getattr(r0, c), getattr(r1, c)
        keys = ("patient", "episode") if c == "stays" else ("unit", "t_start", "patient", "t_end")
        a = sorted_rows(t0, t0["municipality"] != melhus, keys)
        b = sorted_rows(t1, t1["municipality"] != melhus, keys)
        for col in a:
            assert same_array(a[col], b[col]), f"{c}.{col} changed outside Melhus"

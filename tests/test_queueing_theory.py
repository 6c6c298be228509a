"""Verification against queueing theory.

1. Erlang C. ``tests/scenarios/mmc.toml`` reduces the model to an M/M/c queue for korttid beds
   (see the fixture's header for every switch): Poisson admissions with i.i.d. treatment times
   give Poisson declarations (M/G/infinity output theorem), the municipality decides at once and
   always receives, every UKP goes to korttid and stays an exponential time, nobody else uses the
   beds. So a UKP's wait in hospital is the waiting time in queue of a FIFO M/M/c queue with
   lambda = 0.8/day, mu = 0.1/day, c = 10 (a = 8, rho = 0.8), for which
       P(wait > 0) = C(c, a)                (Erlang C, PASTA)
       E[Wq]       = C(c, a) / (c mu - lambda).
2. Little's law L = lambda W for the number of UKP waiting in hospital, on the baseline and on
   the M/M/c scenario, with L measured by a census at fixed times and lambda W from the
   declarations and the per-patient waits.

Tolerances come from the replication-to-replication spread measured when the tests were
designed (numbers in the comments) and are never tuned to make a run pass. The seeds are fixed,
so the tests are deterministic.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model, period_bounds
from ukp_sim.sim.records import FROM_HOSPITAL, KORTTID

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MMC = HERE / "scenarios" / "mmc.toml"

# The M/M/c parameters the fixture encodes (checked against the file in test_mmc_fixture_...).
LAMBDA = 292.2 / 365.25  # declarations a day = admissions_per_year / DAYS_PER_YEAR
MU = 1.0 / 10.0  # 1 / mean korttid LOS (days)
C_BEDS = 10


# ------------------------------------------------------------------------------------------------
# Erlang C
# ------------------------------------------------------------------------------------------------
def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu < c.

    Through the Erlang B recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which only ever
    combines numbers in [0, 1] (no factorials, no a**c), and C = c B / (c - a (1 - B)).
    """
    if not 0 <= a < c:
        raise ValueError("need 0 <= a < c for a stable queue")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def mmc_wq(c: int, lam: float, mu: float) -> float:
    return erlang_c(c, lam / mu) / (c * mu - lam)


def test_erlang_c_against_closed_forms():
    # M/M/1: P(wait) = rho.
    for rho in (0.1, 0.5, 0.9, 0.99):
        assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    # M/M/2: P(wait) = 2 rho^2 / (1 + rho) with rho = a / 2.
    for a in (0.2, 1.0, 1.9):
        rho = a / 2
        assert erlang_c(2, a) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    # The textbook formula with factorials, where it is still exact in floating point.
    for c, a in ((5, 3.0), (10, 8.0), (20, 17.5)):
        top = a**c / math.factorial(c) * c / (c - a)
        direct = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
        assert erlang_c(c, a) == pytest.approx(direct, rel=1e-10)
    # Stable where the factorial formula overflows: a**c for c = 400 exceeds the float range.
    val = erlang_c(400, 380.0)
    assert 0.0 < val < 1.0 and math.isfinite(val)
    assert erlang_c(10, 8.0) == pytest.approx(0.40918, abs=1e-5)


# ------------------------------------------------------------------------------------------------
# Simulating the M/M/c scenario
# ------------------------------------------------------------------------------------------------
def mmc_scenario(years: int, warmup_days: int = 200):
    s = load_scenario(MMC)
    return dataclasses.replace(s, period=dataclasses.replace(s.period, years=years, warmup_days=warmup_days))


def window(s) -> tuple[float, float]:
    """The reported period [start, end) in simulation days."""
    origin, start, end = period_bounds(s)
    return float((start - origin).days), float((end - origin).days)


def mmc_replication(s, seed: int, rep: int) -> dict:
    rec = Model(s, seed, rep).run()
    st = rec.stays
    a, b = window(s)
    t_decl, t_dis = st["t_declared"], st["t_discharged"]
    sel = (t_dis >= a) & (t_dis < b)  # UKP discharged in the reported period
    wait = t_dis[sel] - t_decl[sel]
    k = rec.korttid
    t_end = np.where(np.isnan(k["t_end"]), rec.horizon, k["t_end"])
    busy = (np.clip(t_end, a, b) - np.clip(k["t_start"], a, b)).sum() / (b - a)
    # Mean number waiting in hospital, from the declarations and the korttid starts (not from the
    # recorded discharges): the queue length Lq of the M/M/c queue.
    times = a + (np.arange(int(round((b - a) * 24))) + 0.5) / 24.0
    queue = counting_census(t_decl[np.isfinite(t_decl)], k["t_start"], times).mean()
    return {
        "lq": float(queue),
        "p_wait": float(np.mean(wait > 0.0)),
        "wq": float(wait.mean()),
        "lam": float(np.count_nonzero((t_decl >= a) & (t_decl < b)) / (b - a)),
        "busy": float(busy),
        "n": int(sel.sum()),
    }


def summarise(values, confidence=0.99):
    x = np.asarray(values, dtype=float)
    n = x.size
    mean = x.mean()
    se = x.std(ddof=1) / math.sqrt(n)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    return mean, se, (mean - half, mean + half)


def run_mmc(years: int, reps: int, seed: int) -> dict[str, list[float]]:
    s = mmc_scenario(years)
    out: dict[str, list[float]] = {}
    for r in range(reps):
        for key, val in mmc_replication(s, seed, r).items():
            out.setdefault(key, []).append(val)
    return out


def check_erlang(res, p_wait_rel: float, wq_rel: float):
    p_true = erlang_c(C_BEDS, LAMBDA / MU)
    wq_true = mmc_wq(C_BEDS, LAMBDA, MU)
    p_mean, p_se, p_ci = summarise(res["p_wait"])
    w_mean, w_se, w_ci = summarise(res["wq"])
    report = (
        f"P(wait>0): analytic {p_true:.4f}, simulated {p_mean:.4f} (SE {p_se:.4f}, 99% CI {p_ci[0]:.4f}-{p_ci[1]:.4f}); "
        f"Wq: analytic {wq_true:.4f} d, simulated {w_mean:.4f} d (SE {w_se:.4f}, 99% CI {w_ci[0]:.4f}-{w_ci[1]:.4f})"
    )
    print(report)
    assert p_ci[0] <= p_true <= p_ci[1], report
    assert w_ci[0] <= wq_true <= w_ci[1], report
    assert abs(p_mean / p_true - 1) < p_wait_rel, report
    assert abs(w_mean / wq_true - 1) < wq_rel, report
    # Lq = lambda Wq, measured by a census that does not read the recorded discharge times; its
    # relative spread is that of the mean wait (lambda is known), so the same bound applies.
    lq_true = LAMBDA * wq_true
    lq_mean = float(np.mean(res["lq"]))
    print(f"Lq: analytic {lq_true:.4f}, simulated {lq_mean:.4f}")
    assert abs(lq_mean / lq_true - 1) < wq_rel, (lq_mean, lq_true)
    return p_mean, w_mean


def test_mmc_fixture_is_the_queue_we_think():
    """The analytic values are only worth comparing with if the fixture encodes lambda, mu, c."""
    s = load_scenario(MMC)
    h = s.hospital
    assert h.admissions_per_year * h.community_share * h.municipal_needs_share / 365.25 == pytest.approx(LAMBDA)
    assert h.admissions_per_year * (1 - h.community_share * h.municipal_needs_share) == 0  # no background
    (m,) = s.municipalities.values()
    (unit,) = m.korttid.units.values()
    assert unit.beds == C_BEDS
    los = unit.los or m.korttid.los
    assert los.kind == "exponential" and 1 / los.mean == pytest.approx(MU)
    assert m.destination.korttid == 1.0 and m.korttid.outcomes.home == 1.0
    assert m.decision_hours.mean == 0.0 and m.korttid.direct_admissions_per_year == 0.0
    assert m.complex_share == 0.0  # no extra planning days
    assert (m.reception.open_hour, m.reception.close_hour) == (0.0, 24.0) and len(m.reception.weekdays) == 7
    assert not m.reception.closed_on_public_holidays and m.reception.holiday_capacity_factor == 1.0
    assert tuple(h.declaration_hours) == (0.0, 24.0) and len(h.declaration_weekdays) == 7
    r = s.readmission.probability
    assert r.korttid == r.home_new_services == r.home_no_new_services == 0.0
    assert not s.initial_state


def test_erlang_c_quick():
    """16 replications of 25 years (about 2 s).

    Measured when designing (200 replications of 50 years): the per-replication standard
    deviation is 0.023 for P(wait) and 0.35 d for the mean wait on 50 years, so about 0.032 and
    0.5 d on 25 years, giving a standard error of the mean over 16 replications of about 0.008
    (2 % of 0.409) and 0.125 d (6 % of 2.05 d). The bounds, 8 % and 25 %, are 4 standard errors:
    a correct model fails with probability < 1e-4, while a 5 % error in the korttid LOS already
    moves the analytic values by +-20 % (P(wait)) and -37 %/+62 % (Wq), and one bed fewer or more
    by +60 %/-40 % and +220 %/-60 %.
    """
    res = run_mmc(years=25, reps=16, seed=20240)
    check_erlang(res, p_wait_rel=0.08, wq_rel=0.25)


@pytest.mark.slow
def test_erlang_c_long():
    """80 replications of 50 years (about 20-40 s).

    With the per-replication standard deviations above (0.023 and 0.35 d on 50 years) the
    standard errors over 80 replications are about 0.0025 (0.6 % of P(wait)) and 0.039 d (1.9 %
    of Wq). Bounds at about 4 standard errors: 2.5 % and 8 %. Also checks the offered load by
    Little's law for the beds: the time-average number of busy beds must be a = lambda / mu = 8
    (its per-replication standard deviation is about 0.09, so the SE over 80 is 0.01, 0.12 %;
    bound 1 %), and the declaration rate must be lambda (SE 0.0006/day, bound 0.5 %).
    """
    res = run_mmc(years=50, reps=80, seed=7331)
    check_erlang(res, p_wait_rel=0.025, wq_rel=0.08)
    busy_mean, _, busy_ci = summarise(res["busy"])
    lam_mean, _, lam_ci = summarise(res["lam"])
    a = LAMBDA / MU
    print(f"busy beds {busy_mean:.4f} (99% CI {busy_ci[0]:.4f}-{busy_ci[1]:.4f}) vs a = {a}; "
          f"lambda {lam_mean:.5f} (99% CI {lam_ci[0]:.5f}-{lam_ci[1]:.5f}) vs {LAMBDA:.5f}")
    assert busy_ci[0] <= a <= busy_ci[1] and abs(busy_mean / a - 1) < 0.01
    assert lam_ci[0] <= LAMBDA <= lam_ci[1] and abs(lam_mean / LAMBDA - 1) < 0.005


def test_more_beds_never_lengthen_any_wait_in_mmc():
    """In a FIFO G/G/c queue with the arrival times and service times attached to customers
    fixed, adding servers cannot delay any customer (the Kiefer-Wolfowitz workload recursion is
    monotone). The M/M/c scenario keeps both fixed under common random numbers, so this holds
    per patient, per seed, exactly."""
    base = mmc_scenario(years=3)
    (name, m), = base.municipalities.items()
    (uname, u), = m.korttid.units.items()
    more = dataclasses.replace(base, municipalities={name: dataclasses.replace(
        m, korttid=dataclasses.replace(m.korttid, units={uname: dataclasses.replace(u, beds=u.beds + 2)}))})
    for seed in range(3):
        r0, r1 = Model(base, seed, 0).run().stays, Model(more, seed, 0).run().stays
        assert np.array_equal(r0["t_declared"], r1["t_declared"], equal_nan=True)
        done = np.isfinite(r0["t_discharged"])
        assert np.all(np.isfinite(r1["t_discharged"][done]))
        w0 = r0["t_discharged"][done] - r0["t_declared"][done]
        w1 = r1["t_discharged"][done] - r1["t_declared"][done]
        assert np.all(w1 <= w0 + 1e-9), f"seed {seed}: {np.count_nonzero(w1 > w0 + 1e-9)} waits grew"
        assert w1.sum() < w0.sum()  # and 12 beds instead of 10 do shorten the total


# ------------------------------------------------------------------------------------------------
# Little's law for UKP waiting in hospital, with L from records independent of the discharge times
# ------------------------------------------------------------------------------------------------
def counting_census(arrive: np.ndarray, leave: np.ndarray, times: np.ndarray) -> np.ndarray:
    """N(arrivals <= t) - N(departures <= t) at each time: a census from two counting processes
    that need not be paired stay by stay."""
    return (np.searchsorted(np.sort(arrive), times, side="right")
            - np.searchsorted(np.sort(leave), times, side="right")).astype(np.int64)


def littles_law_korttid_bound(rec, a: float, b: float) -> dict:
    """Little's law for the UKP bound for a korttidsplass, with L and lambda W from different records.

    * L, the mean number waiting in hospital, is an hourly census computed from the declarations
      of korttid-bound UKP (``stays.t_declared``) and the starts of korttid stays from hospital
      (``korttid.t_start``, written when the patient arrives in the bed): it never reads
      ``stays.t_discharged``.
    * lambda W uses the declarations and each stay's recorded discharge time.
    The model moves a patient from the hospital bed into the korttid bed at one instant, so the two
    agree up to boundary terms (see ``check_littles_law``); a discharge recorded at the wrong time
    (late, early, or not at all) moves lambda W and not L.
    """
    st, k = rec.stays, rec.korttid
    ukp = np.isfinite(st["t_declared"]) & (st["destination"] == KORTTID)
    t_decl, t_dis = st["t_declared"][ukp], st["t_discharged"][ukp]
    T = b - a
    # Census in the middle of every hour of the period: discharges and declarations often fall on
    # whole hours (reception opening), never on a half hour, so no sample sits on an event.
    times = a + (np.arange(int(round(T * 24))) + 0.5) / 24.0
    starts = k["t_start"][k["source"] == FROM_HOSPITAL]
    L = counting_census(t_decl, starts, times).mean()
    dis = np.where(np.isnan(t_dis), np.inf, t_dis)
    lam = np.count_nonzero((t_decl >= a) & (t_decl < b)) / T
    present = (t_decl < b) & (dis > a)  # UKP at some moment of the period
    inside = np.minimum(dis[present], b) - np.maximum(t_decl[present], a)
    W = inside.mean()
    n_start = int(np.count_nonzero((t_decl < a) & (dis > a)))
    return {"L": L, "lam": lam, "W": W, "lamW": lam * W, "n_present": int(present.sum()),
            "n_start": n_start, "T": T}


def check_littles_law(res: dict, label: str, tol: float = 0.02):
    """L (census from declarations and korttid starts) against lambda W (declarations and discharges).

    Expected differences, all small:
    * lambda counts the declarations in the period, W averages over every stay UKP at some moment
      of it, which adds the n_start patients already waiting at the start: lambda W / L is about
      1 - n_start / n_present. n_start is about L (measured: 26 on the baseline, 0-5 on M/M/c,
      rarely above 20 there: P(Lq >= 20) = C rho^20 < 0.5 %) while n_present is about 4,900
      (baseline year, korttid-bound) or 2,900 (M/M/c, 10 years): at most 1 % (measured -0.5 % and
      -0.02 %).
    * the census samples a step function hourly; each stay's sampled length differs from its true
      length by less than an hour, with errors of mean about zero: ~ sqrt(n) / (24 T), a few 0.01 %.
    2 % covers both. A discharge recorded 0.3 days late moves lambda W by lambda x 0.3 days, which
    is 20-30 % of L here (the measured mean waits W are 1.1 d on the baseline and 1.4 d on M/M/c);
    a discharge never recorded makes W run to the end of the period.
    """
    rel = res["lamW"] / res["L"] - 1
    print(f"{label}: L = {res['L']:.4f}, lambda = {res['lam']:.4f}/day, W = {res['W']:.4f} d, "
          f"lambda W = {res['lamW']:.4f} (rel. diff {rel:+.3%}); n_start {res['n_start']}, n_present {res['n_present']}")
    assert res["L"] > 0.5 and res["n_present"] > 500
    assert abs(rel) < tol


def test_littles_law_baseline(baseline_scenario):
    s = baseline_scenario
    rec = Model(s, 20231, 0).run()
    check_littles_law(littles_law_korttid_bound(rec, *window(s)), "baseline, korttid-bound UKP")


def test_littles_law_mmc():
    s = mmc_scenario(years=10)
    rec = Model(s, 20231, 0).run()
    res = littles_law_korttid_bound(rec, *window(s))
    check_littles_law(res, "M/M/c")
    # In this stationary queue, the classical form also holds: lambda times the mean full wait of
    # those declared in the period. Its boundary error is (wait left over at the end - wait
    # carried in at the start) / (L T), each about L E[residual wait] with E[residual] =
    # E[Wq^2] / (2 E[Wq]) = 1 / (c mu - lambda) = 5 days, i.e. about 5 / 3650 = 0.14 % each;
    # 2 % leaves room for a long queue at either end.
    a, b = window(s)
    st = rec.stays
    sel = (st["t_declared"] >= a) & (st["t_declared"] < b)
    full = np.where(np.isnan(st["t_discharged"][sel]), rec.horizon, st["t_discharged"][sel]) - st["t_declared"][sel]
    rel = res["lam"] * full.mean() / res["L"] - 1
    print(f"M/M/c classical: lambda E[W] = {res['lam'] * full.mean():.4f} vs L = {res['L']:.4f} ({rel:+.3%})")
    assert abs(rel) < 0.02
    # And L itself against queueing theory: Lq = C(c, a) a / (c - a) = 1.637 for M/M/10 at a = 8.
    # One 10-year replication: the per-replication SD of the mean wait is about 0.35 d x sqrt(5) =
    # 0.78 d on 10 years (38 % of Wq = 2.05 d, measured for test_erlang_c_quick), so only a coarse
    # bound (factor 2) is meaningful here; test_erlang_c_quick checks the mean wait to 25 %.
    lq = erlang_c(C_BEDS, LAMBDA / MU) * (LAMBDA / MU) / (C_BEDS - LAMBDA / MU)
    assert lq / 2 < res["L"] < 2 * lq, (res["L"], lq)

"""Speed benchmark: the cost of one community-year of the model, in CPU time and in a unit that
holds from machine to machine.

Measures, in one process and in CPU time (``time.process_time``, never wall time: the machines
this runs on are shared and differ several-fold in speed):

  (a) one replication of ONE YEAR of the whole-community baseline (``scenarios/prior/baseline_prior.toml``
      copied with ``years = 1``, ``warmup_days = 0`` and ``followup_days = 0``, so exactly one
      year is simulated and nothing is scaled); model construction + ``run()`` are timed, and
      ``compute_kpis`` is timed separately;
  (b) a bare SimPy M/M/c queue (c = 20, utilisation 0.9, 100,000 customers).

(a) and (b) are repeated ``--repeats`` times, interleaved (a, b, a, b, ...), each repeat with its
own seed / replication number. The minimum is the figure to trust on a noisy machine (noise only
ever adds time); the median is printed beside it, with the ratio median/min as a noise gauge.

The output ends with two lines any script can read (computed from the MINIMA):

    cpu_s_per_community_year: X
    bare_simpy_customers_per_community_year: Y

where Y = X / (CPU seconds of one bare M/M/c customer): the model's cost of a community-year
expressed as the number of bare SimPy customers that cost the same. Goal: Y <= 40,000.

    .venv/bin/python benchmarks/bench_model.py                 # 5 repeats
    .venv/bin/python benchmarks/bench_model.py --repeats 9
    .venv/bin/python benchmarks/bench_model.py --profile       # cProfile of one (a), then the benchmark
    .venv/bin/python benchmarks/bench_model.py --profile-only  # just the profile
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import io
import platform
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import simpy  # noqa: E402

from ukp_sim.config.loader import load_scenario  # noqa: E402
from ukp_sim.kpi import compute_kpis  # noqa: E402
from ukp_sim.sim.model import Model  # noqa: E402

GOAL_Y = 40_000


# ---- (b) the bare SimPy reference: M/M/c ----------------------------------------------------------
def mmc(seed: int, customers: int, servers: int = 20, utilisation: float = 0.9) -> tuple[int, int]:
    """Simulate an M/M/c queue until the last of ``customers`` has left.

    Returns (customers served, SimPy events processed).
    """
    rng = random.Random(seed)
    mu = 1.0
    lam = utilisation * servers * mu
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=servers)
    served = 0

    def customer():
        nonlocal served
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(mu))
        served += 1

    def source():
        for _ in range(customers):
            env.process(customer())
            yield env.timeout(rng.expovariate(lam))

    env.process(source())
    env.run()
    return served, _events_processed(env)


# ---- (a) the model ---------------------------------------------------------------------------------
def one_year(scenario):
    """The scenario cut to exactly one simulated year: no warm-up, no follow-up."""
    period = dataclasses.replace(scenario.period, years=1, warmup_days=0, followup_days=0)
    return dataclasses.replace(scenario, period=period)


def _events_processed(env: simpy.Environment) -> int:
    """SimPy events processed by ``env.step`` so far, at no cost during the run.

    simpy 4.1's ``Environment.schedule`` takes an id from the counter ``env._eid`` for every
    event it schedules, so (ids handed out) - (events still queued) = events processed. This
    includes the internal ``until`` event and process-initialisation events.
    """
    return next(env._eid) - len(env._queue)


def count_events_by_patching(model: Model) -> tuple[int, int]:
    """Run ``model`` with ``env.schedule`` wrapped on the instance (SimPy's events all call
    ``self.env.schedule``); returns (events scheduled during ``run()`` per the wrapper, and per
    ``env._eid``).
    Used once, untimed, to check that the free ``_eid`` count is right."""
    env = model.env
    before = next(env._eid)  # events scheduled by the constructor (this read takes one id too)
    original = env.schedule
    n = 0

    def schedule(event, priority=simpy.core.NORMAL, delay=0):
        nonlocal n
        n += 1
        original(event, priority, delay)

    env.schedule = schedule
    try:
        model.run()
    finally:
        del env.schedule
    return n, next(env._eid) - before - 1


def model_run(scenario, seed: int, replication: int, kpi: bool) -> dict:
    """One timed replication: construction + run, then (separately) the KPIs."""
    gc.collect()
    t0 = time.process_time()
    model = Model(scenario, seed, replication)
    t1 = time.process_time()
    records = model.run()
    t2 = time.process_time()
    out = {"build_s": t1 - t0, "run_s": t2 - t1, "cpu_s": t2 - t0}
    st = records.stays
    ukp = ~np.isnan(np.asarray(st["t_declared"], dtype=float))
    out["stays"] = int(len(st["patient"]))
    out["patients"] = int(np.unique(st["patient"]).size)
    out["ukp_episodes"] = int(ukp.sum())
    out["korttid_stays"] = int(len(records.korttid["patient"]))
    out["background"] = int(np.size(records.background_admitted))
    out["events"] = _events_processed(model.env)
    out["horizon"] = model.horizon
    if kpi:
        gc.collect()
        t3 = time.process_time()
        compute_kpis(records, scenario, model.cal)
        out["kpi_s"] = time.process_time() - t3
    return out


def bare_run(seed: int, customers: int) -> dict:
    gc.collect()
    t0 = time.process_time()
    served, events = mmc(seed, customers)
    cpu = time.process_time() - t0
    return {"cpu_s": cpu, "customers": served, "events": events}


# ---- reporting -------------------------------------------------------------------------------------
def _mm(values: list[float]) -> tuple[float, float, float]:
    lo, med = min(values), statistics.median(values)
    return lo, med, (med / lo if lo > 0 else float("nan"))


def _line(label: str, values: list[float], unit: str, fmt: str = "{:.4f}") -> str:
    lo, med, r = _mm(values)
    return f"  {label:<34} min {fmt.format(lo)} {unit:<4} median {fmt.format(med)} {unit:<4} (median/min {r:.2f})"


def profile_once(scenario, seed: int, replication: int, top: int = 25) -> None:
    print(f"== cProfile of one (a) replication (construction + run, seed {seed}, replication {replication}) ==")
    prof = cProfile.Profile()
    prof.enable()
    model = Model(scenario, seed, replication)
    model.run()
    prof.disable()
    for key, title in (("cumulative", "cumulative time"), ("tottime", "total (own) time")):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key)
        stats.print_stats(top)
        text = buf.getvalue()
        # drop pstats' preamble up to the table
        text = text[text.find("   ncalls"):] if "   ncalls" in text else text
        print(f"-- top {top} by {title} --")
        print(text.rstrip())
        print()
    print("(profiled timings are inflated by cProfile; use the benchmark's figures for speed)\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "prior" / "baseline_prior.toml"),
                    help="whole-community scenario (default: scenarios/prior/baseline_prior.toml)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats of (a) and of (b), interleaved (default 5)")
    ap.add_argument("--seed", type=int, default=20231, help="base seed; repeat i uses replication i (a) and seed+i (b)")
    ap.add_argument("--customers", type=int, default=100_000, help="bare M/M/c customers per repeat (default 100,000)")
    ap.add_argument("--no-kpi", action="store_true", help="do not time compute_kpis")
    ap.add_argument("--full-period", action="store_true",
                    help="also time the scenario's own period (warm-up + years + follow-up), scaled to CPU s "
                         "per simulated 365 days, for comparison only (not used for X/Y)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one (a) replication (top 25 by cumulative and by own time), then benchmark")
    ap.add_argument("--profile-only", action="store_true", help="only the profile, no timed benchmark")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    base = load_scenario(args.scenario)
    scen = one_year(base)
    kpi = not args.no_kpi

    print("== ukp_sim speed benchmark (CPU time: time.process_time) ==")
    print(f"python {platform.python_version()}  simpy {simpy.__version__}  numpy {np.__version__}  "
          f"{platform.machine()}  {platform.processor() or platform.platform()}")
    print(f"(a) {Path(args.scenario).name} ({len(base.municipalities)} municipalities), copied with "
          f"years=1, warmup_days=0, followup_days=0 (was {base.period.years} y, warm-up {base.period.warmup_days} d, "
          f"follow-up {base.period.followup_days} d): exactly one simulated year, not scaled; "
          f"timed = Model(...) + run(){'; compute_kpis timed separately' if kpi else ''}")
    print(f"(b) bare SimPy M/M/c: c=20, utilisation 0.9, {args.customers:,} customers, exponential "
          f"interarrival and service, simpy.Resource")
    print(f"repeats: {args.repeats}, interleaved a, b, a, b, ...; seed {args.seed}")
    print()

    if args.profile or args.profile_only:
        profile_once(scen, args.seed, 10_000)
        if args.profile_only:
            return 0

    # Untimed warm-up (first-call costs: imports inside functions, caches, allocator), which also
    # checks the free event count against an instance-patched env.schedule.
    n_patched, n_eid = count_events_by_patching(Model(scen, args.seed, 10_001))
    if n_patched != n_eid:
        print(f"WARNING: event counts disagree (patched env.schedule {n_patched}, env._eid {n_eid})")
    mmc(args.seed + 10_001, min(args.customers, 10_000))

    a_runs, b_runs = [], []
    for i in range(args.repeats):
        a_runs.append(model_run(scen, args.seed, i, kpi))
        b_runs.append(bare_run(args.seed + i, args.customers))
        a, b = a_runs[-1], b_runs[-1]
        kpi_part = f" + kpi {a['kpi_s']:.3f} s" if kpi else ""
        print(f"  repeat {i + 1}/{args.repeats}: (a) {a['cpu_s']:.3f} s{kpi_part}   (b) {b['cpu_s']:.3f} s",
              flush=True)
    print()

    years = a_runs[0]["horizon"] / 365.0
    a_cpu = [r["cpu_s"] / years for r in a_runs]
    b_cpu = [r["cpu_s"] for r in b_runs]
    per_cust = [r["cpu_s"] / r["customers"] for r in b_runs]

    def rate(key: str) -> list[float]:
        return [r[key] / r["cpu_s"] for r in a_runs]

    print(f"== (a) one community-year ({a_runs[0]['horizon']:.0f} simulated days) ==")
    print(f"  per replication (median): {statistics.median(r['patients'] for r in a_runs):,.0f} patients followed "
          f"in SimPy ({statistics.median(r['stays'] for r in a_runs):,.0f} hospital stays), "
          f"{statistics.median(r['ukp_episodes'] for r in a_runs):,.0f} UKP episodes, "
          f"{statistics.median(r['korttid_stays'] for r in a_runs):,.0f} korttid stays, "
          f"{statistics.median(r['events'] for r in a_runs):,.0f} SimPy events processed; "
          f"{statistics.median(r['background'] for r in a_runs):,.0f} background admissions (numpy, not simulated)")
    print(_line("CPU s per community-year", a_cpu, "s"))
    print(_line("  of which Model(...) construction", [r["build_s"] for r in a_runs], "s"))
    print(_line("  of which run()", [r["run_s"] for r in a_runs], "s"))
    # rates: the best (max) rate comes from the fastest run, so report max and median
    for key, label in (("patients", "patients / CPU s"), ("ukp_episodes", "UKP episodes / CPU s"),
                       ("events", "SimPy events / CPU s")):
        vals = rate(key)
        print(f"  {label:<34} best {max(vals):,.0f}   median {statistics.median(vals):,.0f}")
    if kpi:
        kv = [r["kpi_s"] / years for r in a_runs]
        print(_line("compute_kpis CPU s (separate)", kv, "s"))
        tot = [r["cpu_s"] / years + r["kpi_s"] / years for r in a_runs]
        print(_line("replication incl. KPIs", tot, "s"))
    print()

    print(f"== (b) bare SimPy M/M/c, {args.customers:,} customers ==")
    print(_line("CPU s per run", b_cpu, "s"))
    print(_line("CPU us per customer", [x * 1e6 for x in per_cust], "us", "{:.3f}"))
    cps = [r["customers"] / r["cpu_s"] for r in b_runs]
    eps = [r["events"] / r["cpu_s"] for r in b_runs]
    print(f"  {'customers / CPU s':<34} best {max(cps):,.0f}   median {statistics.median(cps):,.0f}")
    print(f"  {'SimPy events / CPU s':<34} best {max(eps):,.0f}   median {statistics.median(eps):,.0f}"
          f"   ({statistics.median(r['events'] for r in b_runs) / args.customers:.2f} events per customer)")
    print()

    x_min, x_med = min(a_cpu), statistics.median(a_cpu)
    c_min, c_med = min(per_cust), statistics.median(per_cust)
    y_min, y_med = x_min / c_min, x_med / c_med
    ev_a = statistics.median(r["events"] for r in a_runs)
    model_us_per_event = x_min * years / ev_a * 1e6
    bare_us_per_event = min(r["cpu_s"] / r["events"] for r in b_runs) * 1e6
    print("== summary ==")
    print("  X and Y below are computed from the MINIMA (min over repeats of (a), min CPU per customer of (b)).")
    print(f"  Y from the medians: {y_med:,.0f}   (X median {x_med:.4f} s)")
    print(f"  CPU per SimPy event: model {model_us_per_event:.2f} us, bare M/M/c {bare_us_per_event:.2f} us "
          f"(ratio {model_us_per_event / bare_us_per_event:.2f})")
    if kpi:
        k_min = min(r["kpi_s"] for r in a_runs) / years
        print(f"  with compute_kpis: {x_min + k_min:.4f} s per community-year, Y incl. KPIs {(x_min + k_min) / c_min:,.0f}")
    print(f"  goal Y <= {GOAL_Y:,}: {'met' if y_min <= GOAL_Y else 'NOT met'} (Y from minima {y_min:,.0f})")

    if args.full_period:
        days = []
        for i in range(args.repeats):
            r = model_run(base, args.seed, 100 + i, kpi=False)
            days.append(r["cpu_s"] / (r["horizon"] / 365.0))
        print(f"  [info] full period ({base.period.warmup_days} d warm-up + {base.period.years} y + "
              f"{base.period.followup_days} d follow-up), scaled to CPU s per simulated 365 days: "
              f"min {min(days):.4f} median {statistics.median(days):.4f} (not used for X/Y)")
    print()
    print(f"cpu_s_per_community_year: {x_min:.4f}")
    print(f"bare_simpy_customers_per_community_year: {y_min:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

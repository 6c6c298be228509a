"""Speed benchmark: the cost of one community-year of the model, in CPU time and in a unit that
holds from machine to machine.

Measures, in one process and in CPU time (``time.process_time``, never wall time: the machines
this runs on are shared and differ several-fold in speed):

  (a) one replication of ONE YEAR of the calibrated whole-community baseline
      (``scenarios/baseline_2023.toml`` copied with ``years = 1``, ``warmup_days = 0`` and
      ``followup_days = 0``, so exactly one year, 2023, is simulated and nothing is scaled);
      model construction + ``run()`` are timed, and ``compute_kpis`` is timed separately;
  (c) the same for the combined strategy (``scenarios/interventions/combined.toml``: the 2023
      baseline with all six measures of the action plan on), one year from ``--combined-start``
      (default 2025-01-01, when every measure has started, so all of them act all year);
  (b) a bare SimPy M/M/c queue (c = 20, utilisation 0.9, 100,000 customers).

(a), (c) and (b) are repeated ``--repeats`` times, interleaved (a, c, b, a, c, b, ...), each repeat
with its own seed / replication number. The minimum is the figure to trust on a noisy machine
(noise only ever adds time); the median is printed beside it, with the ratio median/min as a
noise gauge.

The output ends with three lines any script can read (computed from the MINIMA):

    cpu_s_per_community_year: X
    bare_simpy_customers_per_community_year: Y
    bare_simpy_customers_per_community_year_combined: Y_c

where Y = X / (CPU seconds of one bare M/M/c customer): the baseline's cost of a community-year
expressed as the number of bare SimPy customers that cost the same; Y_c the same for the combined
strategy. Goals: Y <= 10,000 and Y_c <= 15,000.

    .venv/bin/python benchmarks/bench_model.py                 # 5 repeats
    .venv/bin/python benchmarks/bench_model.py --repeats 9
    .venv/bin/python benchmarks/bench_model.py --profile       # cProfile of one (a) and one (c), then the benchmark
    .venv/bin/python benchmarks/bench_model.py --profile-only  # just the profiles
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
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

GOAL_Y = 10_000
GOAL_Y_COMBINED = 15_000


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
def one_year(scenario, start: dt.date | None = None):
    """The scenario cut to exactly one simulated year (from ``start`` if given): no warm-up, no
    follow-up."""
    period = dataclasses.replace(scenario.period, years=1, warmup_days=0, followup_days=0)
    if start is not None:
        period = dataclasses.replace(period, start=start)
    return dataclasses.replace(scenario, period=period)


def _events_processed(env: simpy.Environment) -> int:
    """SimPy events processed by ``env.step`` so far, at no cost during the run.

    simpy 4.1's ``Environment.schedule`` takes an id from the counter ``env._eid`` for every
    event it schedules, so (ids handed out) - (events still queued) = events processed. This
    includes the internal ``until`` event and process-initialisation events.
    """
    return next(env._eid) - len(env._queue)


def count_events_by_patching(model: Model) -> tuple[int, int]:
    """Run ``model`` with ``env.step`` wrapped on the instance (``Environment.run`` calls
    ``self.step()`` once per event processed); returns (events processed during ``run()`` per the
    wrapper, and per ``env._eid``). The model's flows write schedule entries themselves, so
    wrapping ``env.schedule`` would miss them. Used once, untimed, to check that the free
    ``_eid`` count is right."""
    env = model.env
    queued = len(env._queue)  # scheduled by the constructor
    before = next(env._eid)  # this read takes one id too
    original = env.step
    n = 0

    def step():
        nonlocal n
        if env._queue:
            n += 1
        original()

    env.step = step
    try:
        model.run()
    finally:
        del env.step
    return n, next(env._eid) - before - 1 + queued - len(env._queue)


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


def profile_once(scenario, seed: int, replication: int, top: int = 25, label: str = "(a)") -> None:
    print(f"== cProfile of one {label} replication (construction + run, seed {seed}, replication {replication}), "
          f"after an unprofiled one (imports, caches) ==")
    Model(scenario, seed, replication + 1).run()
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


def _model_section(title: str, runs: list[dict], kpi: bool) -> list[float]:
    """Print the figures of one model's timed runs; returns CPU s per community-year of each."""
    years = runs[0]["horizon"] / 365.0
    cpu = [r["cpu_s"] / years for r in runs]
    med = statistics.median
    print(f"== {title} ({runs[0]['horizon']:.0f} simulated days) ==")
    print(f"  per replication (median): {med(r['patients'] for r in runs):,.0f} patients followed "
          f"in SimPy ({med(r['stays'] for r in runs):,.0f} hospital stays), "
          f"{med(r['ukp_episodes'] for r in runs):,.0f} UKP episodes, "
          f"{med(r['korttid_stays'] for r in runs):,.0f} korttid stays, "
          f"{med(r['events'] for r in runs):,.0f} SimPy events processed; "
          f"{med(r['background'] for r in runs):,.0f} background admissions (numpy, not simulated)")
    print(_line("CPU s per community-year", cpu, "s"))
    print(_line("  of which Model(...) construction", [r["build_s"] for r in runs], "s"))
    print(_line("  of which run()", [r["run_s"] for r in runs], "s"))
    # rates: the best (max) rate comes from the fastest run, so report max and median
    for key, label in (("patients", "patients / CPU s"), ("ukp_episodes", "UKP episodes / CPU s"),
                       ("events", "SimPy events / CPU s")):
        vals = [r[key] / r["cpu_s"] for r in runs]
        print(f"  {label:<34} best {max(vals):,.0f}   median {med(vals):,.0f}")
    if kpi:
        print(_line("compute_kpis CPU s (separate)", [r["kpi_s"] / years for r in runs], "s"))
        print(_line("replication incl. KPIs", [(r["cpu_s"] + r["kpi_s"]) / years for r in runs], "s"))
    print()
    return cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline_2023.toml"),
                    help="whole-community baseline (default: scenarios/baseline_2023.toml, the calibrated one)")
    ap.add_argument("--combined", default=str(ROOT / "scenarios" / "interventions" / "combined.toml"),
                    help="the combined strategy (default: scenarios/interventions/combined.toml)")
    ap.add_argument("--combined-start", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1),
                    help="first day of the combined strategy's simulated year (default 2025-01-01: every "
                         "measure has started)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed repeats of (a), (c) and (b), interleaved (default 5)")
    ap.add_argument("--seed", type=int, default=20231,
                    help="base seed; repeat i uses replication i (a, c) and seed+i (b)")
    ap.add_argument("--customers", type=int, default=100_000, help="bare M/M/c customers per repeat (default 100,000)")
    ap.add_argument("--no-kpi", action="store_true", help="do not time compute_kpis")
    ap.add_argument("--full-period", action="store_true",
                    help="also time the baseline's own period (warm-up + years + follow-up), scaled to CPU s "
                         "per simulated 365 days, for comparison only (not used for X/Y)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one (a) and one (c) replication (top 25 by cumulative and by own time), "
                         "then benchmark")
    ap.add_argument("--profile-only", action="store_true", help="only the profiles, no timed benchmark")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")

    base = load_scenario(args.scenario)
    scen = one_year(base)
    comb_base = load_scenario(args.combined)
    comb = one_year(comb_base, args.combined_start)
    kpi = not args.no_kpi

    print("== ukp_sim speed benchmark (CPU time: time.process_time) ==")
    print(f"python {platform.python_version()}  simpy {simpy.__version__}  numpy {np.__version__}  "
          f"{platform.machine()}  {platform.processor() or platform.platform()}")
    print(f"(a) {Path(args.scenario).name} ({len(base.municipalities)} municipalities), copied with "
          f"years=1, warmup_days=0, followup_days=0 (was {base.period.years} y, warm-up {base.period.warmup_days} d, "
          f"follow-up {base.period.followup_days} d): exactly one simulated year from {scen.period.start}, "
          f"not scaled; timed = Model(...) + run(){'; compute_kpis timed separately' if kpi else ''}")
    on = [name for name, params in vars(comb.interventions).items() if getattr(params, "enabled", False)]
    print(f"(c) {Path(args.combined).name} ({len(on)} interventions on: {', '.join(on)}), the same cut, "
          f"one year from {comb.period.start}")
    print(f"(b) bare SimPy M/M/c: c=20, utilisation 0.9, {args.customers:,} customers, exponential "
          f"interarrival and service, simpy.Resource")
    print(f"repeats: {args.repeats}, interleaved a, c, b, a, c, b, ...; seed {args.seed}")
    print()

    if args.profile or args.profile_only:
        profile_once(scen, args.seed, 10_000, label="(a)")
        profile_once(comb, args.seed, 10_000, label="(c)")
        if args.profile_only:
            return 0

    # Untimed warm-up (first-call costs: imports inside functions, caches, allocator), which also
    # checks the free event count against an instance-patched env.step.
    for s in (scen, comb):
        n_patched, n_eid = count_events_by_patching(Model(s, args.seed, 10_001))
        if n_patched != n_eid:
            print(f"WARNING: event counts disagree (patched env.step {n_patched}, env._eid {n_eid})")
    mmc(args.seed + 10_001, min(args.customers, 10_000))

    a_runs, c_runs, b_runs = [], [], []
    for i in range(args.repeats):
        a_runs.append(model_run(scen, args.seed, i, kpi))
        c_runs.append(model_run(comb, args.seed, i, kpi))
        b_runs.append(bare_run(args.seed + i, args.customers))
        a, c, b = a_runs[-1], c_runs[-1], b_runs[-1]
        kpi_a = f" + kpi {a['kpi_s']:.3f} s" if kpi else ""
        kpi_c = f" + kpi {c['kpi_s']:.3f} s" if kpi else ""
        print(f"  repeat {i + 1}/{args.repeats}: (a) {a['cpu_s']:.3f} s{kpi_a}   (c) {c['cpu_s']:.3f} s{kpi_c}"
              f"   (b) {b['cpu_s']:.3f} s", flush=True)
    print()

    a_cpu = _model_section("(a) one community-year, calibrated baseline", a_runs, kpi)
    c_cpu = _model_section("(c) one community-year, combined strategy", c_runs, kpi)

    b_cpu = [r["cpu_s"] for r in b_runs]
    per_cust = [r["cpu_s"] / r["customers"] for r in b_runs]
    print(f"== (b) bare SimPy M/M/c, {args.customers:,} customers ==")
    print(_line("CPU s per run", b_cpu, "s"))
    print(_line("CPU us per customer", [x * 1e6 for x in per_cust], "us", "{:.3f}"))
    cps = [r["customers"] / r["cpu_s"] for r in b_runs]
    eps = [r["events"] / r["cpu_s"] for r in b_runs]
    print(f"  {'customers / CPU s':<34} best {max(cps):,.0f}   median {statistics.median(cps):,.0f}")
    print(f"  {'SimPy events / CPU s':<34} best {max(eps):,.0f}   median {statistics.median(eps):,.0f}"
          f"   ({statistics.median(r['events'] for r in b_runs) / args.customers:.2f} events per customer)")
    print()

    c_min, c_med = min(per_cust), statistics.median(per_cust)
    bare_us_per_event = min(r["cpu_s"] / r["events"] for r in b_runs) * 1e6
    print("== summary ==")
    print("  X and Y below are computed from the MINIMA (min over repeats of (a) or (c), min CPU per customer of (b)).")
    ys = {}
    for label, runs, cpu, goal in (("(a) baseline", a_runs, a_cpu, GOAL_Y),
                                   ("(c) combined", c_runs, c_cpu, GOAL_Y_COMBINED)):
        years = runs[0]["horizon"] / 365.0
        x_min, x_med = min(cpu), statistics.median(cpu)
        y_min, y_med = x_min / c_min, x_med / c_med
        ys[label] = (x_min, y_min)
        us_per_event = x_min * years / statistics.median(r["events"] for r in runs) * 1e6
        print(f"  {label}: X {x_min:.4f} s (median {x_med:.4f} s), Y {y_min:,.0f} (from the medians {y_med:,.0f})")
        print(f"    CPU per SimPy event: model {us_per_event:.2f} us, bare M/M/c {bare_us_per_event:.2f} us "
              f"(ratio {us_per_event / bare_us_per_event:.2f})")
        if kpi:
            k_min = min(r["kpi_s"] for r in runs) / years
            print(f"    with compute_kpis: {x_min + k_min:.4f} s per community-year, "
                  f"Y incl. KPIs {(x_min + k_min) / c_min:,.0f}")
        print(f"    goal Y <= {goal:,}: {'met' if y_min <= goal else 'NOT met'} (Y from minima {y_min:,.0f})")

    if args.full_period:
        days = []
        for i in range(args.repeats):
            r = model_run(base, args.seed, 100 + i, kpi=False)
            days.append(r["cpu_s"] / (r["horizon"] / 365.0))
        print(f"  [info] baseline's full period ({base.period.warmup_days} d warm-up + {base.period.years} y + "
              f"{base.period.followup_days} d follow-up), scaled to CPU s per simulated 365 days: "
              f"min {min(days):.4f} median {statistics.median(days):.4f} (not used for X/Y)")
    print()
    x_min, y_min = ys["(a) baseline"]
    print(f"cpu_s_per_community_year: {x_min:.4f}")
    print(f"bare_simpy_customers_per_community_year: {y_min:.0f}")
    print(f"bare_simpy_customers_per_community_year_combined: {ys['(c) combined'][1]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

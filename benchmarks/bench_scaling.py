"""Scaling benchmark: how the model's cost grows with the simulated years, the population and the
interventions switched on; the peak memory of one worker; how well 2 workers share the work, with
local processes and with Dask; and what a result-cache hit saves.

Every figure is repeated (``--repeats``, default 3) with the variants interleaved within each
repeat (a, b, c, a, b, c, ...), so a burst of load on the shared machine hits all variants alike.
It prints the minimum (the figure to trust: noise only ever adds time), the median and their ratio
(a noise gauge), and ends with a Markdown table for the README.

  (1) CPU seconds per simulated community-year for 1, 2 and 4 simulated years (the calibrated 2023
      baseline, no warm-up or follow-up, Model + run + compute_kpis): cost should be linear in the
      simulated time, so the figure per year should stay flat.
  (2) the same for the population (admissions, beds, intake and places) x 0.5, 1 and 2.
  (3) the baseline against the combined strategy (all six measures), both over 2025 (every measure
      has started by then).
  (4) peak resident memory (ru_maxrss) of a fresh process after the imports and after one
      replication of the full 2023 baseline (warm-up, year, follow-up), i.e. one worker's need.
  (5) wall time of N replications of the full 2023 baseline with 1 process, 2 processes and a Dask
      LocalCluster of 2 workers (started before the clock runs; its start-up is printed apart);
      parallel efficiency = T(1) / (2 T(2)). Wall time, unlike the rest: parallelism is about it.
  (6) the same N replications read from the result cache against simulated and written to it.

    .venv/bin/python benchmarks/bench_scaling.py                 # about 5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_scaling.py --repeats 5 --replications 16
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ukp_sim.analysis.cache import ResultCache  # noqa: E402
from ukp_sim.analysis.runner import Runner, run_many  # noqa: E402
from ukp_sim.config.loader import load_scenario  # noqa: E402
from ukp_sim.kpi import compute_kpis  # noqa: E402
from ukp_sim.sim.model import Model  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline_2023.toml"
REFERENCE = ROOT / "scenarios" / "interventions" / "reference.toml"
COMBINED = ROOT / "scenarios" / "interventions" / "combined.toml"


def cut(scenario, years: int, start: dt.date | None = None):
    """``scenario`` simulating exactly ``years`` years from ``start``: no warm-up, no follow-up."""
    period = dataclasses.replace(scenario.period, years=years, warmup_days=0, followup_days=0,
                                 start=start or scenario.period.start)
    return dataclasses.replace(scenario, period=period)


def scaled(scenario, k: float):
    """The community with k times the population: admissions, hospital beds, korttid beds, home-service
    intake, long-term vacancies and direct korttid admissions all x k (beds rounded)."""
    h = scenario.hospital
    hospital = dataclasses.replace(h, admissions_per_year=h.admissions_per_year * k,
                                   somatic_beds=max(1, round(h.somatic_beds * k)))
    munis = {}
    for name, m in scenario.municipalities.items():
        units = {u: dataclasses.replace(spec, beds=round(spec.beds * k)) for u, spec in m.korttid.units.items()}
        korttid = dataclasses.replace(m.korttid, units=units,
                                      direct_admissions_per_year=m.korttid.direct_admissions_per_year * k)
        munis[name] = dataclasses.replace(
            m, population=round(m.population * k), home_service_intake_per_day=m.home_service_intake_per_day * k,
            long_term_vacancies_per_year=m.long_term_vacancies_per_year * k, korttid=korttid)
    return dataclasses.replace(scenario, hospital=hospital, municipalities=munis)


def cpu_of_one(scenario, seed: int, rep: int) -> float:
    """CPU seconds of Model + run + compute_kpis for one replication."""
    gc.collect()
    t0 = time.process_time()
    model = Model(scenario, seed, rep)
    records = model.run()
    compute_kpis(records, scenario, model.cal)
    return time.process_time() - t0


def summary(values: list[float]) -> tuple[float, float, float]:
    lo, med = min(values), statistics.median(values)
    return lo, med, med / lo if lo > 0 else float("nan")


def line(label: str, values: list[float], unit: str, fmt: str = "{:.3f}") -> str:
    lo, med, ratio = summary(values)
    return f"  {label:<40} min {fmt.format(lo)} {unit}   median {fmt.format(med)} {unit}   (median/min {ratio:.2f})"


def interleaved(variants: dict, repeats: int, measure) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in variants}
    for r in range(repeats):
        for key, arg in variants.items():
            out[key].append(measure(arg, r))
    return out


MEMORY_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
from ukp_sim.config.loader import load_scenario
from ukp_sim.analysis.runner import single_run
s = load_scenario({path!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
single_run(s, 1, 0)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def peak_memory_mb() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD.format(root=str(ROOT), path=str(BASELINE))],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024  # ru_maxrss is in kB on Linux


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--replications", type=int, default=8, help="replications in (5) and (6) (default 8)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-dask", action="store_true", help="leave out the Dask figures")
    args = ap.parse_args(argv)
    base = load_scenario(BASELINE)
    rows: list[tuple[str, str]] = []
    print(f"# scaling benchmark, {args.repeats} repeats, Python {sys.version.split()[0]}, "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}")

    print("\n(1) CPU s per simulated community-year, by simulated years (2023 baseline, from 2023-01-01)")
    years = {y: cut(base, y) for y in (1, 2, 4)}
    got = interleaved(years, args.repeats, lambda sc, r: cpu_of_one(sc, args.seed, r) / sc.period.years)
    for y, v in got.items():
        print(line(f"{y} simulated year(s)", v, "s"))
        rows.append((f"CPU s per community-year, {y} simulated year(s)", f"{min(v):.3f} ({statistics.median(v):.3f})"))

    print("\n(2) CPU s per community-year, by population (1 year)")
    pops = {k: scaled(years[1], k) for k in (0.5, 1.0, 2.0)}
    got = interleaved(pops, args.repeats, lambda sc, r: cpu_of_one(sc, args.seed, r))
    for k, v in got.items():
        print(line(f"population x {k:g}", v, "s"))
        rows.append((f"CPU s per community-year, population x {k:g}", f"{min(v):.3f} ({statistics.median(v):.3f})"))

    print("\n(3) baseline against the combined strategy, 2025 (1 year)")
    strat = {"baseline (reference, no measure)": cut(load_scenario(REFERENCE), 1, dt.date(2025, 1, 1)),
             "combined strategy (six measures)": cut(load_scenario(COMBINED), 1, dt.date(2025, 1, 1))}
    got = interleaved(strat, args.repeats, lambda sc, r: cpu_of_one(sc, args.seed, r))
    for k, v in got.items():
        print(line(k, v, "s"))
        rows.append((f"CPU s per community-year, {k}", f"{min(v):.3f} ({statistics.median(v):.3f})"))
    ratio = min(got["combined strategy (six measures)"]) / min(got["baseline (reference, no measure)"])
    print(f"  combined / baseline (minima): {ratio:.2f}")

    print("\n(4) peak resident memory of one worker process (full 2023 baseline, one replication)")
    mems = [peak_memory_mb() for _ in range(args.repeats)]
    before, after = min(m[0] for m in mems), min(m[1] for m in mems)
    print(f"  after the imports {before:.0f} MB, after one replication {after:.0f} MB (minima over repeats)")
    rows.append(("peak resident memory of one worker", f"{after:.0f} MB (imports and scenario alone: {before:.0f} MB)"))

    n = args.replications
    print(f"\n(5) wall time of {n} replications of the full 2023 baseline")
    runners = {"1 process": Runner(1), "2 processes": Runner(2)}
    if not args.no_dask:
        try:
            t0 = time.perf_counter()
            dask_runner = Runner(1, cluster="local:2")
            dask_runner.backend  # start the cluster before the clock runs
            print(f"  Dask LocalCluster of 2 workers started in {time.perf_counter() - t0:.1f} s (not counted below)")
            runners["Dask local:2"] = dask_runner
        except Exception as exc:  # Dask is optional
            print(f"  Dask left out: {exc}")
    # warm the process pool too, so no variant pays a start-up inside the clock
    run_many({"b": base}, range(2), args.seed, runners["2 processes"])

    def wall(runner, r):
        t0 = time.perf_counter()
        run_many({"b": base}, range(r * n, (r + 1) * n), args.seed, runner)
        return time.perf_counter() - t0

    walls = interleaved(runners, args.repeats, wall)
    for k, v in walls.items():
        print(line(k, v, "s", "{:.2f}"))
    t1 = min(walls["1 process"])
    rows.append((f"wall s, {n} replications, 1 process", f"{t1:.2f} ({statistics.median(walls['1 process']):.2f})"))
    for k in ("2 processes", "Dask local:2"):
        if k in walls:
            eff = t1 / (2 * min(walls[k]))
            eff_med = statistics.median(walls["1 process"]) / (2 * statistics.median(walls[k]))
            print(f"  parallel efficiency, {k}: {eff:.0%} from the minima, {eff_med:.0%} from the medians")
            rows.append((f"parallel efficiency, {k} ({n} replications)", f"{eff:.0%} ({eff_med:.0%})"))
    for runner in runners.values():
        runner.close()

    print(f"\n(6) the result cache: {n} replications simulated and written, then read")
    sim, read = [], []
    for r in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for store in (sim, read):
                cache = ResultCache(tmp)
                t0 = time.perf_counter()
                with Runner(1, cache=cache) as runner:
                    run_many({"b": base}, range(n), args.seed + r, runner)
                store.append((time.perf_counter() - t0) / n)
    print(line("simulate + write, per replication", sim, "s"))
    print(line("read from the cache, per replication", read, "s", "{:.4f}"))
    print(f"  a cache hit costs {min(read) / min(sim):.1%} of simulating (minima)")
    rows.append(("per replication: simulate + write to the cache", f"{min(sim):.3f} s ({statistics.median(sim):.3f})"))
    rows.append(("per replication: read from the cache", f"{min(read):.4f} s ({statistics.median(read):.4f})"))

    print("\n## table (minimum, median in brackets)\n")
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    print("\n" + json.dumps({"repeats": args.repeats, "replications": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The calibration targets file (``calibration/targets.toml``): its schema and its loading.

What calibration may change (parameters with prior ranges), what it must reproduce (observed
figures with tolerances) and how hard it searches. The history matching itself is in
``ukp_sim.analysis.calibration``; this module only reads and checks the file, through the same
validator as scenario files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ukp_sim.base.fields import _f, _fd, _req
from ukp_sim.config.loader import read_toml
from ukp_sim.config.validate import Builder


@dataclass(frozen=True, kw_only=True)
class CalTarget:
    year: int = _req("calendar year of the observation", min=1900, max=2100)
    kpi: str = _req("KPI id in the model's output (see ukp_sim/kpi.py)")
    municipality: str = _req('"Total", a municipality, or "Municipality/Unit"')
    observed: float = _req("the observed value")
    tolerance: float = _req("the absolute deviation that still counts as a fit", min=0)
    weight: float = _f(1.0, "weight in the fit; 0 = reported only", min=0)
    source: str = _req("where the figure comes from")
    year_sd_max: float | None = _f(
        None, "largest standard deviation of one year, relative to the observed value, that the observed series "
        "of this figure allows: with one_year_variance, a world's single-year variance counts in the "
        "implausibility only up to (year_sd_max x observed)^2, so a world whose years scatter more than the real "
        "system's do is not credited with that scatter (none: no bound)", min=0, max=10)

    @property
    def year_sd_bound(self) -> float:
        """The bound on one year's SD in the figure's own units (infinite without one)."""
        return float("inf") if self.year_sd_max is None else self.year_sd_max * abs(self.observed)

    @property
    def label(self) -> str:
        return f"{self.kpi} {self.municipality} {self.year}"


@dataclass(frozen=True, kw_only=True)
class CalParameter:
    name: str = _req("a short name")
    path: str = _req("key path in the scenario; * matches any name")
    mode: str = _f("set", "'set' the value or 'scale' (multiply) it", choices=("set", "scale"))
    low: float = _req("lower end of the prior range")
    high: float = _req("upper end of the prior range")
    integer: bool = _f(False, "round the resulting values to whole numbers")
    exclude: tuple[str, ...] = _f((), "municipality names a wildcard leaves out")
    doc: str = _f("", "what the parameter means")


@dataclass(frozen=True, kw_only=True)
class YearSpec:
    scenario: str = _req("the scenario to calibrate for this year (relative to the targets file)")
    output: str = _req("where to write the calibrated scenario (relative to the targets file)")
    heldout_from: int | None = _f(None, "also predict this year from that year's fit")
    start: dict[str, float] = _fd(dict, "a parameter set that joins the first wave (e.g. an exploratory fit); "
                                     "parameters it leaves out start at the middle of their prior range")


@dataclass(frozen=True, kw_only=True)
class Settings:
    implausibility_cutoff: float = _f(3.0, "implausibility above which a candidate is ruled out", min=0)
    candidates_per_wave: int = _f(160, "candidates simulated per wave", min=2)
    waves: int = _f(3, "waves of history matching", min=1, max=20)
    replications_per_candidate: int = _f(2, "replications per candidate (common random numbers)", min=1)
    topup_replications: int = _f(
        0, "replications a candidate not ruled out with replications_per_candidate is simulated with again "
        "before it counts as plausible (0 = none): near full beds a year's UKP-days vary by a third, and the "
        "first few seeds can sit low for every candidate at once (common random numbers)", min=0)
    topup_margin: float = _f(
        0.0, "also top up candidates whose implausibility with the first replications is at most this much above "
        "the cut-off (the noise of a few replications rules out worlds that more replications keep)", min=0, max=10)
    final_replications: int = _f(30, "replications for the fit report of the best set", min=2)
    max_plausible_sets: int = _f(40, "plausible parameter sets kept", min=1)
    refine_candidates: int = _f(
        8, "leading candidates re-simulated with more replications before the best is chosen", min=1)
    refine_replications: int = _f(10, "replications for that re-check", min=2)
    local_evaluations: int = _f(
        0, "evaluations of a compass search from the best set (0 = none); it polishes the best "
        "set the sparse waves found", min=0,
    )
    local_replications: int = _f(4, "replications per evaluation of the local search (common random numbers)", min=1)
    model_discrepancy: float = _f(
        0.5, "standard deviation of the model discrepancy, as a multiple of half the tolerance (the tolerance "
        "is read as two standard deviations of observation error); it joins the implausibility's denominator",
        min=0, max=10,
    )
    one_year_variance: bool = _f(
        False, "the observed figure is one year of a stochastic process: a candidate's single-year variance over its "
        "replications joins the implausibility's denominator, so a world whose years scatter widely is not ruled out "
        "by one year inside that scatter (off: only the simulation noise of the candidate's mean)")
    min_plausible: int = _f(
        30, "after the set waves, more waves run until at least this many candidates are plausible", min=0)
    max_waves: int = _f(8, "waves at most, extra waves included", min=1, max=50)
    use_start: bool = _f(
        False, "let the years' [start] sets join wave 1 (an experiment; off: the search starts from the whole "
        "prior box alone)")
    seed_from_heldout: bool = _f(
        False, "let the heldout_from year's plausible sets join this year's wave 1 (off: the whole prior box)")
    emulator: bool = _f(
        True, "screen each later wave's candidates with Gaussian-process emulators of the targets (off: sample "
        "around the candidates not yet ruled out)")
    emulator_proposals: int = _f(20000, "proposals the emulators score for each wave", min=100, max=1_000_000)
    ensemble_size: int = _f(30, "plausible worlds kept in the ensemble, chosen to span the plausible region",
                            min=1)
    balance_ensemble: bool = _f(
        True, "swap ensemble worlds for other plausible ones until the ensemble's mean meets the targets as far as "
        "it can (analysis/ensemble_balance.py; off: the maximin worlds as they are)")
    ensemble_pool: int = _f(
        120, "with balance_ensemble, plausible candidates (the least implausible first) simulated with the "
        "ensemble's replications before the worlds are chosen among those still plausible", min=1)
    ensemble_replications: int = _f(5, "replications per ensemble world for its fit and bottleneck mix", min=1)


@dataclass(frozen=True, kw_only=True)
class CalibrationSpec:
    settings: Settings = _f(Settings(), "settings")
    years: dict[str, YearSpec] = _req("the years to calibrate")
    target: tuple[CalTarget, ...] = _req("the targets")
    parameter: tuple[CalParameter, ...] = _req("the parameters calibration may change")
    file: str = field(default="", metadata={"internal": True})

    def targets_for(self, year: int) -> list[CalTarget]:
        return [t for t in self.target if t.year == year]

    def resolve(self, relative: str) -> Path:
        return (Path(self.file).parent / relative).resolve()


def load_calibration_spec(path: str | Path) -> CalibrationSpec:
    path = Path(path)
    data = read_toml(path)
    b = Builder(path)
    spec = b.build(CalibrationSpec, data, "")
    for i, p in enumerate(spec.parameter):
        if not p.low < p.high:
            b.fail(f"parameter[{i}]", f"low {p.low} must be below high {p.high}")
    names = {p.name for p in spec.parameter}
    for year, ys in spec.years.items():
        if not year.isdigit():
            b.fail(f"years.{year}", "keys must be years", "write [years.2022]")
        for name, value in ys.start.items():
            if name not in names:
                b.fail(f"years.{year}.start.{name}", "is not a calibration parameter",
                       "use a name from the [[parameter]] tables")
            p = next(q for q in spec.parameter if q.name == name)
            if not p.low <= value <= p.high:
                b.fail(f"years.{year}.start.{name}", f"{value} lies outside the prior range {p.low}-{p.high}")
    return CalibrationSpec(settings=spec.settings, years=spec.years, target=spec.target,
                           parameter=spec.parameter, file=str(path))

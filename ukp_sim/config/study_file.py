"""The study file (``experiments/standard_study.toml``): its schema and its loading.

A study names a baseline, the scenarios (id -> scenario file) and one reporting period that
replaces every scenario's own ``[period]``, so all scenarios simulate the same days. The file is
checked by the same validator as scenario files, and every scenario it names is loaded with the
study's period. Running the study and its tables are in ``ukp_sim.analysis.study``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ukp_sim.base.errors import UserError
from ukp_sim.base.fields import _f, _req
from ukp_sim.config.loader import build_scenario, deep_merge, load_scenario_data, read_toml
from ukp_sim.config.scenario import Period, Scenario
from ukp_sim.config.validate import Builder

BASELINE = "baseline"


@dataclass(frozen=True, kw_only=True)
class PrecisionFile:
    """Run to a wanted precision instead of a fixed number of replications."""

    share: float = _f(0.05, "wanted relative half-width of the 95 % CIs, above 0 and below 1", min=0, max=1)
    min: int = _f(10, "replications run first", min=2, max=10_000)
    max: int = _f(60, "replications at most (not below min)", min=2, max=10_000)
    kpis: tuple[str, ...] = _f((), "KPI ids that must reach the precision; empty: the runner's default set")


@dataclass(frozen=True, kw_only=True)
class StudyFile:
    """What a study file may contain."""

    name: str = _f("", "a short name; default: the file's name")
    description: str = _f("", "what the study is and why")
    seed: int = _f(2024, "seed of the common random numbers", min=0, max=2**63 - 1)
    replications: int = _f(30, "replications of every scenario", min=2, max=10_000)
    baseline: str = _req("the baseline scenario file, relative to the study file")
    period: Period = _req("the reporting period; replaces every scenario's own [period]")
    scenarios: dict[str, str] = _req("scenario id = \"file.toml\", relative to the study file")
    precision: PrecisionFile | None = _f(None, "run to a precision instead of `replications`")
    calibration: str = _f("", "the calibration targets file whose ensemble of plausible worlds `--worlds` runs the "
                          "study over, relative to the study file (empty: no worlds)")


@dataclass(frozen=True)
class StudySpec:
    """A study file, checked: every scenario file exists and every value is usable."""

    path: Path
    name: str
    description: str
    seed: int
    replications: int
    period: dict
    files: dict[str, Path]  # scenario id -> file, baseline first
    precision: dict | None = None  # {share, min, max, kpis} when the study runs to a precision
    scenarios: dict[str, Scenario] = field(default_factory=dict, compare=False)
    calibration: Path | None = None  # the targets file of the worlds (``--worlds``), if the study names one


def load_study(path: str | Path, only: list[str] | None = None) -> StudySpec:
    """Read and check a study file and load every scenario it names, with the study's period.

    ``only`` keeps the baseline and the named scenario ids (for a quicker partial study)."""
    path = Path(path)
    data = read_toml(path)
    b = Builder(path)
    study = b.build(StudyFile, data, "")
    precision = None
    if study.precision is not None:
        p = study.precision
        if not 0 < p.share < 1:
            b.fail("precision.share", f"must be a share above 0 and below 1, got {p.share!r}", "write share = 0.05")
        if p.max < p.min:
            b.fail("precision.max", f"is {p.max}, below precision.min {p.min}", "raise max or lower min")
        precision = {"share": p.share, "min": p.min, "max": p.max, "kpis": p.kpis}
    if not study.scenarios:
        b.fail("scenarios", "must be a table of scenario id = \"file.toml\"", 'e.g. combined = "combined.toml"')
    if BASELINE in study.scenarios:
        b.fail("scenarios.baseline", "the baseline is given by the top-level `baseline` key", "remove it here")
    refs = {BASELINE: study.baseline, **study.scenarios}
    if only is not None:
        wrong = [s for s in only if s not in refs]
        if wrong:
            raise UserError(f"{path}: no scenario '{wrong[0]}' in the study (it has {', '.join(refs)})")
        refs = {k: v for k, v in refs.items() if k == BASELINE or k in only}
    files: dict[str, Path] = {}
    for sid, ref in refs.items():
        where = "baseline" if sid == BASELINE else f"scenarios.{sid}"
        file = path.parent / ref
        if not file.is_file():
            b.fail(where, f"file {ref} not found (looked for {file})", "check the path, relative to the study file")
        files[sid] = file
    scenarios = {sid: load_with_period(file, data["period"]) for sid, file in files.items()}
    return StudySpec(path=path, name=study.name or path.stem, description=study.description,
                     seed=study.seed, replications=study.replications, period=dict(data["period"]), files=files,
                     precision=precision, scenarios=scenarios,
                     calibration=path.parent / study.calibration if study.calibration else None)


def load_with_period(file: Path, period: dict) -> Scenario:
    """A scenario file with the study's period in place of its own (checked like any scenario)."""
    data, files, provenance = load_scenario_data(file)
    data["period"] = deep_merge({}, period)  # the study's period replaces the file's, key by key
    return build_scenario(data, file, files, provenance)

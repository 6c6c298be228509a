"""Shared fixtures: the scenario files the tests use, loaded scenarios and one short run.

Paths live here once, so a scenario file that moves is changed in one place. Loaded scenarios are
frozen, so a session-scoped copy is safe to share; tests that need a variant build one with
``dataclasses.replace`` or write a small TOML file with ``write_scenario`` (the public path: a
scenario file, ``load_scenario``, ``Model(...).run()``).
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.config.scenario import Scenario
from ukp_sim.sim.model import Model, build_calendar
from ukp_sim.sim.records import Records

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
BASELINE_PATH = ROOT / "scenarios" / "prior" / "baseline_prior.toml"  # the uncalibrated prior (2022)
MMC_PATH = TESTS / "scenarios" / "mmc.toml"                     # the M/M/c reduction
SMALL_PATH = TESTS / "scenarios" / "one_municipality.toml"      # one municipality, 0.1 CPU-s a year

SMALL_SEED = 20240


def pytest_configure(config):
    """Commands run by module- or session-scoped fixtures use a cache folder of the session, never
    the repository's results/.cache (the per-test fixture below narrows it to the test)."""
    import os
    import tempfile

    os.environ["UKP_SIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="ukp-test-cache-")


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path, monkeypatch):
    """Every test gets an empty result cache of its own: a command run by a test never reads what
    another test left, and nothing is written under the repository's results/."""
    monkeypatch.setenv("UKP_SIM_CACHE_DIR", str(tmp_path / "ukp-cache"))


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE_PATH


@pytest.fixture(scope="session")
def mmc_path() -> Path:
    return MMC_PATH


@pytest.fixture(scope="session")
def small_path() -> Path:
    return SMALL_PATH


@pytest.fixture(scope="session")
def baseline_scenario() -> Scenario:
    return load_scenario(BASELINE_PATH)


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return load_scenario(SMALL_PATH)


@pytest.fixture(scope="session")
def small_records(small_scenario) -> Records:
    """One replication of the small scenario (seed ``SMALL_SEED``, replication 0): read only."""
    return Model(small_scenario, SMALL_SEED, 0).run()


@pytest.fixture(scope="session")
def small_calendar(small_scenario):
    return build_calendar(small_scenario)


@pytest.fixture
def write_scenario(tmp_path):
    """Write a scenario file that extends ``parent`` (default: the small scenario) with the given
    TOML text, and return its path: ``write_scenario("[period]\\nyears = 2")``."""
    counter = iter(range(1_000_000))

    def write(body: str, parent: Path = SMALL_PATH, name: str | None = None) -> Path:
        path = tmp_path / (name or f"scenario_{next(counter)}.toml")
        path.write_text(f'extends = "{parent.as_posix()}"\n' + textwrap.dedent(body), encoding="utf-8")
        return path

    return write


@pytest.fixture
def calibrated_year(tmp_path) -> Path:
    """A calibrated year in miniature: the small scenario as the calibration input, two fitted
    parameters (beds set, home-service intake scaled), a baseline with world 1's values and an
    ensemble of three worlds."""
    (tmp_path / "input.toml").write_text(f'extends = "{SMALL_PATH}"\nname = "input"\n', encoding="utf-8")
    (tmp_path / "baseline_2023.toml").write_text(
        'extends = "input.toml"\nname = "baseline_2023"\n[municipalities.Testby]\nhome_service_intake_per_day = 1.5\n'
        '[municipalities.Testby.korttid.units.korttid]\nbeds = 22\n', encoding="utf-8")
    (tmp_path / "ensemble_2023.csv").write_text(
        "world,beds,intake\n2,30,0.50000001\n1,22,1.5\n3,14,2.123456789\n", encoding="utf-8")
    (tmp_path / "targets.toml").write_text("""
[years.2023]
scenario = "input.toml"
output = "baseline_2023.toml"
[[target]]
year = 2023
kpi = "ukp_days"
municipality = "Total"
observed = 100.0
tolerance = 5.0
source = "synthetic"
[[parameter]]
name = "beds"
path = "municipalities.*.korttid.units.korttid.beds"
mode = "set"
low = 10
high = 40
integer = true
[[parameter]]
name = "intake"
path = "municipalities.*.home_service_intake_per_day"
mode = "scale"
low = 0.5
high = 3
""", encoding="utf-8")
    return tmp_path / "targets.toml"


@pytest.fixture
def admission_rates(monkeypatch) -> list:
    """The daily first-admission rates the model hands to the arrival draws, one array per
    municipality and run, in the order drawn (``Model._admission_rate`` spied on)."""
    seen: list = []
    real = Model._admission_rate

    def spy(self, m, per_day, weights):
        rate = real(self, m, per_day, weights)
        seen.append(np.array(rate))
        return rate

    monkeypatch.setattr(Model, "_admission_rate", spy)
    return seen

"""One runner: the batches of a command share one process pool (a calibration's sweeps and a
precision run's batches do not start a pool each), and the numbers never depend on the number of
workers or on which batch ran a replication."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import ukp_sim.analysis.backends as runner_module
from ukp_sim.analysis.runner import Runner, run_many
from ukp_sim.config.loader import load_scenario

HERE = Path(__file__).parent
SMALL = HERE / "scenarios" / "one_municipality.toml"


class CountingPool(ProcessPoolExecutor):
    created = 0

    def __init__(self, *args, **kwargs):
        type(self).created += 1
        super().__init__(*args, **kwargs)


@pytest.fixture
def counting_pool(monkeypatch):
    CountingPool.created = 0
    monkeypatch.setattr(runner_module, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # two workers even on a one-core machine
    return CountingPool


def _square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_a_runner_keeps_one_pool_for_all_its_batches_and_closes_it(counting_pool):
    with Runner(2) as runner:
        first = dict(runner.imap(_square, list(range(6))))
        pool = runner._backend._pool
        second = dict(runner.imap(_square, list(range(6, 10))))
        assert runner._backend._pool is pool and pool is not None
    assert runner._backend is None
    assert counting_pool.created == 1
    squares = {i: v for i, (v, _) in first.items()} | {i + 6: v for i, (v, _) in second.items()}
    assert squares == {i: i * i for i in range(10)}
    assert all(pid != os.getpid() for _, pid in [*first.values(), *second.values()])


def test_one_job_runs_in_this_process_without_a_pool(counting_pool):
    with Runner(1) as runner:
        got = list(runner.imap(_square, [3, 4]))
    assert [(i, v) for i, (v, _) in got] == [(0, 9), (1, 16)]
    assert {pid for _, (_, pid) in got} == {os.getpid()}
    assert counting_pool.created == 0


def test_batches_on_a_shared_runner_equal_one_batch_in_one_process(counting_pool):
    scenario = load_scenario(SMALL)
    with Runner(2) as runner:
        a = run_many({"s": scenario}, range(2), 5, runner)["s"].table
        b = run_many({"s": scenario}, range(2, 3), 5, runner)["s"].table
    assert counting_pool.created == 1
    one = run_many({"s": scenario}, range(3), 5, 1)["s"].table
    pd.testing.assert_frame_equal(pd.concat([a, b], ignore_index=True), one)


@pytest.mark.slow  # a small calibration twice (about 4 CPU-s)
def test_a_calibration_uses_one_pool_for_every_sweep_and_gets_the_same_numbers(tmp_path, counting_pool, capsys):
    """The tiny end-to-end calibration of test_calibration.py, with 2 jobs: one pool serves the
    waves, the re-check, the local search and the fit, and every output equals the 1-job run's."""
    from test_calibration import _spec_text

    from ukp_sim.cli.main import main

    text = (_spec_text(300.0, 2.0).replace('output = "out.toml"', 'output = "out.toml"\nstart = { beds = 22 }')
            .replace("candidates_per_wave = 16", "candidates_per_wave = 4").replace("waves = 2", "waves = 2")
            .replace("refine_replications = 8", "refine_replications = 2\nlocal_evaluations = 7\n"
                     "local_replications = 2"))
    outputs = {}
    for jobs in (2, 1):
        folder = tmp_path / f"jobs{jobs}"
        folder.mkdir()
        (folder / "targets.toml").write_text(text, encoding="utf-8")
        # --force: a search this small need not meet the headline within 5 % (calibrate would keep the baseline)
        assert main(["calibrate", str(folder / "targets.toml"), "--final-reps", "2", "--quiet", "--force",
                     "--jobs", str(jobs)]) == 0
        outputs[jobs] = {name: (folder / name).read_bytes() for name in ("plausible_2022.csv", "out.toml")}
    assert counting_pool.created == 1
    assert outputs[2] == outputs[1]

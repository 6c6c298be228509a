"""Where replications run never changes a number: Dask (a local cluster, or a scheduler reached by
its address) gives byte-identical outputs to one process, tasks are batches of replications, and a
run stopped with Ctrl-C (SIGINT) resumes from the cache to the same outputs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ukp_sim.analysis.runner import MAX_BATCH, batch_size
from ukp_sim.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
BASELINE_2023 = ROOT / "scenarios" / "baseline_2023.toml"


def test_batches_hold_several_replications_but_leave_every_worker_several_tasks():
    assert batch_size(1, 2) == 1
    assert batch_size(15, 2) == 1  # few tasks: one replication each, so both workers stay busy
    assert batch_size(60, 2) == 3
    assert batch_size(240, 2) == MAX_BATCH
    for tasks in range(1, 400, 7):
        for workers in (1, 2, 4, 16):
            size = batch_size(tasks, workers)
            assert 1 <= size <= MAX_BATCH
            assert size == 1 or tasks / size >= 8 * workers  # at least 8 tasks a worker when batched


def _run(path, out, *extra) -> int:
    return main(["run", str(path), "-n", "4", "--seed", "3", "--no-cache", "--quiet", "--out", str(out), *extra])


@pytest.mark.slow  # starts a local cluster (~8 s)
def test_a_local_dask_cluster_gives_the_same_outputs_as_one_process(tmp_path, small_path):
    pytest.importorskip("dask.distributed", reason="Dask is the optional extra ukp-sim[dask]; make test installs it")
    assert _run(small_path, tmp_path / "one", "--jobs", "1") == 0
    assert _run(small_path, tmp_path / "dask", "--cluster", "local:2") == 0
    for name in ("kpis.csv", "kpis_monthly.csv", "replications.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    import json

    engine = json.loads((tmp_path / "dask" / "run.json").read_text())["engine"]
    assert engine == {"backend": "dask", "cluster": "local:2", "workers": 2}


@pytest.mark.slow  # the issue's own check: the calibrated 2023 baseline, 4 replications, twice
def test_dask_local_2_matches_jobs_1_on_the_calibrated_baseline(tmp_path):
    pytest.importorskip("dask.distributed")
    assert _run(BASELINE_2023, tmp_path / "one", "--jobs", "1") == 0
    assert _run(BASELINE_2023, tmp_path / "dask", "--cluster", "local:2") == 0
    assert (tmp_path / "dask" / "kpis.csv").read_bytes() == (tmp_path / "one" / "kpis.csv").read_bytes()


@pytest.mark.slow  # starts a scheduler and two workers (~10 s)
def test_a_running_scheduler_is_reached_by_its_address(tmp_path, small_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_port=0) as cluster:
        assert _run(small_path, tmp_path / "tcp", "--cluster", cluster.scheduler_address) == 0
    assert _run(small_path, tmp_path / "one") == 0
    assert (tmp_path / "tcp" / "kpis.csv").read_bytes() == (tmp_path / "one" / "kpis.csv").read_bytes()


@pytest.mark.parametrize("address", ["local", "local:x", "localhost:8786", "2"])
def test_a_wrong_cluster_address_is_a_clear_error(tmp_path, small_path, capsys, address):
    assert _run(small_path, tmp_path / "x", "--cluster", address) == 2
    err = capsys.readouterr().err
    assert f"--cluster '{address}'" in err and "local:2" in err and "tcp://" in err
    assert not (tmp_path / "x").exists()


def test_a_local_cluster_of_no_workers_is_refused(tmp_path, small_path, capsys):
    assert _run(small_path, tmp_path / "x", "--cluster", "local:0") == 2
    assert "at least one worker" in capsys.readouterr().err


@pytest.mark.slow  # three runs of 12 replications of the 2023 baseline on 2 processes (~30 s)
def test_a_run_stopped_with_sigint_resumes_to_identical_outputs(tmp_path):
    exe = [sys.executable, "-m", "ukp_sim.cli.main"]
    cmd = ["run", str(BASELINE_2023), "-n", "12", "--seed", "9", "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*exe, *cmd, "--cache-dir", str(tmp_path / "c1"), "--out", str(tmp_path / "full"), "--quiet"],
                   check=True, env=env, capture_output=True)
    cache = tmp_path / "c2"
    # A job started in the background of a non-interactive shell (a CI runner, `cmd &`) inherits
    # SIGINT ignored, and Python then never turns it into KeyboardInterrupt: give the child the
    # default disposition, as a user's terminal would.
    proc = subprocess.Popen([*exe, *cmd, "--cache-dir", str(cache), "--out", str(tmp_path / "part"), "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while len(list(cache.rglob("*.json.gz"))) < 2:
        assert proc.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    kept = len(list(cache.rglob("*.json.gz")))
    assert 2 <= kept < 12
    assert b"kept in the cache" in err
    again = subprocess.run([*exe, *cmd, "--cache-dir", str(cache), "--out", str(tmp_path / "part")], env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"cache: read {kept} of 12 replications" in again.stderr
    assert f"simulated {12 - kept}" in again.stderr
    for name in ("kpis.csv", "kpis_monthly.csv", "replications.csv"):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name

"""The package as a user gets it from a wheel: built with ``pip wheel``, installed into a fresh
virtual environment, and run outside the source tree. ``ukp-sim study`` without a file must find
the built-in standard study and its scenarios inside the package (package data).

The fresh environment reuses this environment's dependencies (numpy, pandas, ...) through a
``.pth`` file instead of downloading them, and gets the package itself only from the wheel.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_the_wheel_installs_and_runs_the_built_in_study(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # Build from a clean copy of the tree: a build/ or *.egg-info/ left in the checkout by an
    # editable install lists the data files and would hide a package-data mistake.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", "build", "dist", "*.egg-info", "results", ".git", "__pycache__", ".pytest_cache", ".hypothesis"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source], tmp_path, env)
    (wheel,) = wheels.glob("ukp_sim-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path, env)
    python = venv / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env)
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site.stdout.strip()) / "_ukp_sim_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], tmp_path, env)

    work = tmp_path / "elsewhere"  # not the source tree: nothing there to fall back on
    work.mkdir()
    where = _run([python, "-c", "import ukp_sim; print(ukp_sim.__file__)"], work, env).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's copy, not the source tree

    script = venv / "bin" / "ukp-sim"
    assert "standard study" in _run([script, "study", "--help"], work, env).stdout
    out = work / "out"
    _run([script, "study", "-n", "2", "--only", "combined", "--jobs", "2", "--lang", "en", "--out", out, "--quiet"],
         work, env)
    for name in ("kpis.csv", "differences.csv", "savings.csv", "run.json", "report.en.html"):
        assert (out / name).is_file(), name
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert Path(meta["study_file"]).is_relative_to(venv)  # the built-in study, from the package
    assert meta["scenarios"] == ["baseline", "combined"] and meta["replications"] == 2

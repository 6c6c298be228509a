"""The result cache: an entry gives back exactly the table that was simulated, is found only for
the same scenario content, seed, replication and model, is detected and recomputed when damaged,
and makes an interrupted run resume with only the missing replications."""
from __future__ import annotations

import dataclasses
import gzip
import json

import pandas as pd
import pytest

import ukp_sim.analysis.runner as runner_module
from ukp_sim.analysis.cache import ResultCache, cache_info, clear_cache, scenario_fingerprint
from ukp_sim.analysis.runner import Runner, run_many, single_run
from ukp_sim.cli.main import main


@pytest.fixture(scope="module")
def table(small_scenario):
    return single_run(small_scenario, 5, 1)


def _quiet_cache(path) -> tuple[ResultCache, list[str]]:
    said: list[str] = []
    return ResultCache(path, warn=said.append), said


def test_an_entry_reads_back_the_exact_table(tmp_path, small_scenario, table):
    cache, _ = _quiet_cache(tmp_path)
    cache.put(small_scenario, 5, 1, table)
    back = cache.get(small_scenario, 5, 1)
    pd.testing.assert_frame_equal(back, table, check_exact=True)
    assert list(back.dtypes) == list(table.dtypes)
    assert back.to_csv(index=False) == table.to_csv(index=False)  # what the outputs are made of
    assert (cache.stats.read, cache.stats.written) == (1, 1)


def test_the_key_is_the_content_seed_replication_and_model(tmp_path, small_scenario):
    cache, _ = _quiet_cache(tmp_path)
    path = cache.path(small_scenario, 5, 1)
    renamed = dataclasses.replace(small_scenario, name="other", description="words", content_hash="x")
    assert cache.path(renamed, 5, 1) == path  # names and descriptions change no number
    assert cache.path(small_scenario, 6, 1) != path
    assert cache.path(small_scenario, 5, 2) != path
    longer = dataclasses.replace(small_scenario, period=dataclasses.replace(small_scenario.period,
                                                                            followup_days=small_scenario.period.followup_days + 1))
    assert scenario_fingerprint(longer) != scenario_fingerprint(small_scenario)
    assert cache.path(longer, 5, 1) != path
    other_model = ResultCache(tmp_path)
    other_model.model = "0" * 64
    assert other_model.path(small_scenario, 5, 1) != path


def test_a_float_that_differs_in_the_last_bit_is_another_scenario(small_scenario):
    r = small_scenario.readmission
    first = next(f.name for f in dataclasses.fields(r) if isinstance(getattr(r, f.name), float))
    value = getattr(r, first)
    nudged = dataclasses.replace(small_scenario, readmission=dataclasses.replace(
        r, **{first: value + abs(value) * 2.0 ** -52 + 5e-324}))
    assert scenario_fingerprint(nudged) != scenario_fingerprint(small_scenario)


@pytest.mark.parametrize("damage", ["truncate", "payload", "garbage"])
def test_a_damaged_entry_is_detected_removed_and_reported(tmp_path, small_scenario, table, damage):
    cache, said = _quiet_cache(tmp_path)
    cache.put(small_scenario, 5, 1, table)
    path = cache.path(small_scenario, 5, 1)
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "payload":  # valid gzip, valid JSON, one value changed: only the checksum sees it
        head, _, payload = gzip.decompress(raw).partition(b"\n")
        cols = json.loads(payload)
        cols["value"][0] += 1.0
        path.write_bytes(gzip.compress(head + b"\n" + json.dumps(cols).encode()))
    else:
        path.write_bytes(b"not a cache entry")
    assert cache.get(small_scenario, 5, 1) is None
    assert cache.stats.corrupt == 1 and not path.exists()
    assert len(said) == 1 and "damaged" in said[0] and "recomputing" in said[0]


def test_a_second_run_reads_everything_and_simulates_nothing(tmp_path, small_scenario, monkeypatch):
    cache, _ = _quiet_cache(tmp_path)
    with Runner(1, cache=cache) as runner:
        first = run_many({"s": small_scenario}, range(3), 5, runner)["s"].table

    def forbidden(*_):
        raise AssertionError("simulated although cached")

    monkeypatch.setattr(runner_module, "single_run", forbidden)
    cache2, _ = _quiet_cache(tmp_path)
    with Runner(1, cache=cache2) as runner:
        second = run_many({"s": small_scenario}, range(3), 5, runner)["s"].table
    pd.testing.assert_frame_equal(second, first, check_exact=True)
    assert cache2.stats.read == 3 and cache2.stats.written == 0


def test_an_interrupted_run_resumes_with_only_the_missing_replications(tmp_path, small_scenario, monkeypatch):
    real = runner_module.single_run
    full = run_many({"s": small_scenario}, range(4), 5, 1)["s"].table
    calls: list[int] = []

    def stop_at_third(scenario, seed, rep):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(rep)
        return real(scenario, seed, rep)

    monkeypatch.setattr(runner_module, "single_run", stop_at_third)
    cache, _ = _quiet_cache(tmp_path)
    with Runner(1, cache=cache) as runner:
        part = run_many({"s": small_scenario}, range(4), 5, runner)["s"]
    assert part.interrupted and part.completed == [0, 1]

    calls.clear()
    monkeypatch.setattr(runner_module, "single_run", lambda sc, seed, rep: calls.append(rep) or real(sc, seed, rep))
    cache2, _ = _quiet_cache(tmp_path)
    with Runner(1, cache=cache2) as runner:
        resumed = run_many({"s": small_scenario}, range(4), 5, runner)["s"]
    assert calls == [2, 3] and cache2.stats.read == 2
    pd.testing.assert_frame_equal(resumed.table, full, check_exact=True)


def test_cache_info_and_clear(tmp_path, small_scenario, table, capsys):
    cache, _ = _quiet_cache(tmp_path)
    for rep in range(3):
        cache.put(small_scenario, 5, rep, table)
    stale = tmp_path / ("f" * 16) / "ab"
    stale.mkdir(parents=True)
    (stale / "x.json.gz").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("not ours")
    info = cache_info(tmp_path)
    assert info.entries == {"f" * 16: 1, cache.model[:16]: 3}

    assert main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3 replications" in out and "(this version)" in out and "older version" in out
    assert main(["cache", "clear", "--stale", "--cache-dir", str(tmp_path)]) == 0
    assert "removed 1 " in capsys.readouterr().out
    assert cache_info(tmp_path).entries == {cache.model[:16]: 3}
    assert clear_cache(tmp_path) == 3
    assert cache_info(tmp_path).entries == {} and (tmp_path / "notes.txt").exists()


def test_the_run_command_says_what_it_read_from_the_cache(tmp_path, small_path, capsys):
    args = ["run", str(small_path), "-n", "3", "--seed", "4", "--cache-dir", str(tmp_path / "c")]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert "cache: read 0 of 3 replications" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert "cache: read 3 of 3 replications" in capsys.readouterr().err
    assert (tmp_path / "a" / "kpis.csv").read_bytes() == (tmp_path / "b" / "kpis.csv").read_bytes()
    assert main([*args[:-2], "--no-cache", "--out", str(tmp_path / "n")]) == 0
    assert "cache:" not in capsys.readouterr().err
    assert (tmp_path / "n" / "kpis.csv").read_bytes() == (tmp_path / "a" / "kpis.csv").read_bytes()


def _stop_after(monkeypatch, finished: int) -> list:
    """single_run that raises KeyboardInterrupt (Ctrl-C) once ``finished`` replications are done."""
    real = single_run  # the module's own, whatever an earlier patch left in place
    calls: list = []

    def run(scenario, seed, rep):
        if len(calls) == finished:
            raise KeyboardInterrupt
        calls.append((scenario.name, rep))
        return real(scenario, seed, rep)

    monkeypatch.setattr(runner_module, "single_run", run)
    return calls


def test_an_interrupted_compare_keeps_what_finished_and_resumes_to_the_same_outputs(tmp_path, small_path,
                                                                                    monkeypatch, capsys):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{small_path}"\nname = "other"\n[municipalities.Testby.korttid.units.korttid]\n'
                     'beds = 24\n', encoding="utf-8")
    args = ["compare", str(small_path), str(other), "-n", "3", "--seed", "2", "--cache-dir", str(tmp_path / "c")]
    assert main([*args, "--no-cache", "--out", str(tmp_path / "full")]) == 0
    capsys.readouterr()

    _stop_after(monkeypatch, 4)  # 4 of the 6 (2 scenarios x 3) finish, then Ctrl-C
    assert main([*args, "--out", str(tmp_path / "part")]) == 130
    err = capsys.readouterr().err
    assert "kept in the cache" in err and not (tmp_path / "part").exists()

    calls = _stop_after(monkeypatch, 99)
    assert main([*args, "--out", str(tmp_path / "part")]) == 0
    assert "cache: read 4 of 6 replications" in capsys.readouterr().err
    assert len(calls) == 2  # only the missing ones were simulated
    for name in ("kpis.csv", "differences.csv", "replications.csv"):
        assert (tmp_path / "part" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name


def test_in_one_process_ctrl_c_keeps_every_finished_replication(tmp_path, small_scenario, monkeypatch):
    """With one job there is no batching: the replication interrupted is the only one lost."""
    _stop_after(monkeypatch, 5)
    cache, _ = _quiet_cache(tmp_path)
    with Runner(1, cache=cache) as runner:
        part = run_many({"s": small_scenario}, range(20), 5, runner)["s"]
    assert part.interrupted and part.completed == [0, 1, 2, 3, 4]
    assert cache.stats.written == 5


def test_the_files_left_out_of_the_model_fingerprint_are_not_part_of_the_model():
    """The targets and study file readers are left out of the fingerprint (editing them keeps the
    cache); that is right only while nothing a replication runs imports them."""
    import re
    from pathlib import Path

    from ukp_sim.analysis.cache import _MODEL_PACKAGES, _NOT_MODEL

    root = Path(__file__).resolve().parents[1] / "ukp_sim"
    modules = {f"ukp_sim.{p[:-3].replace('/', '.')}" for p in _NOT_MODEL}
    assert all((root / p).is_file() for p in _NOT_MODEL)
    for pkg in _MODEL_PACKAGES:
        for path in (root / pkg).rglob("*.py"):
            if path.relative_to(root).as_posix() in _NOT_MODEL:
                continue
            text = path.read_text(encoding="utf-8")
            imports = set(re.findall(r"^\s*(?:from|import) (ukp_sim[\w.]*)", text, re.M))
            imports |= {f"{m}.{n}" for m, names in re.findall(r"^\s*from (ukp_sim[\w.]*) import ([\w, ]+)", text, re.M)
                        for n in (x.strip() for x in names.split(","))}
            assert not imports & modules, (path, imports & modules)

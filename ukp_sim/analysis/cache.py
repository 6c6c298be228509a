"""The result cache: every finished replication's KPI rows, kept on disk so that a run that is
interrupted, or repeated, simulates only what is missing.

A replication's KPI table depends on exactly four things: the merged scenario (its content, not
its file name or description), the run seed, the replication number and the model (the code and
the numeric libraries that produce it). The key is a SHA-256 over all four, so a cached entry is
only ever read back where simulating would give the same numbers. The model part is a fingerprint
of the source of every layer a result depends on (base, interventions, config, sim, kpi) and of
the numpy, scipy, simpy and pandas versions: any edit to the model invalidates the cache by
itself, without anyone having to remember to bump a version.

Layout: ``<dir>/<model fingerprint[:16]>/<key[:2]>/<key>.json.gz``. An entry is gzip of one
header line (JSON, with the SHA-256 of the payload) and the payload (the table in columns, floats
written as their shortest exact representation). A truncated or altered entry fails gzip's CRC,
the JSON parse or the checksum; it is then recomputed and rewritten, with a warning. Entries are
written atomically (temporary file, then rename), so an interrupted write leaves no entry at all.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import gzip
import hashlib
import json
import os
import shutil
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ukp_sim.base.io import write_atomic

FORMAT = 1
DEFAULT_DIR = Path("results") / ".cache"
ENV_DIR = "UKP_SIM_CACHE_DIR"
COLUMNS = ("replication", "year", "month", "municipality", "kpi", "value")
_MODEL_PACKAGES = ("base", "interventions", "config", "sim", "kpi")
# Files of those layers that read the analyses' own files (a calibration's targets, a study) and
# never a replication's numbers, which depend on the scenario alone (fingerprinted by its content):
# editing them must not throw away every finished replication. The model may not import them
# (tests/test_result_cache.py checks).
_NOT_MODEL = frozenset({"config/calibration_file.py", "config/study_file.py"})
_LIBRARIES = ("numpy", "scipy", "simpy", "pandas")
# Fields that name or describe a scenario but never change its numbers.
_NOT_CONTENT = frozenset({"name", "description", "source_files", "content_hash"})


class CacheWarning(UserWarning):
    """A cache entry could not be read and is recomputed."""


def default_dir() -> Path:
    """``$UKP_SIM_CACHE_DIR`` if set, else ``results/.cache`` under the working folder."""
    return Path(os.environ.get(ENV_DIR) or DEFAULT_DIR)


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """SHA-256 of the model's source (every .py file of the layers a result depends on, by path
    and content) and of the numeric libraries' versions."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for pkg in _MODEL_PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            if path.relative_to(root).as_posix() in _NOT_MODEL:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    for lib in _LIBRARIES:
        h.update(f"{lib}=={version(lib)}\0".encode())
    return h.hexdigest()


def _canonical(obj):
    """A JSON-ready form of a scenario value that is equal exactly when the values are."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                  if f.name not in _NOT_CONTENT or type(obj).__name__ != "Scenario"}
        return {"__type__": type(obj).__qualname__, **fields}
    if isinstance(obj, dict):
        return {"__dict__": sorted(([_canonical(k), _canonical(v)] for k, v in obj.items()), key=repr)}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (frozenset, set)):
        return {"__set__": sorted((_canonical(v) for v in obj), key=repr)}
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return {"__float__": repr(obj)}
    if isinstance(obj, (dt.date, dt.datetime)):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, enum.Enum):
        return {"__enum__": f"{type(obj).__qualname__}.{obj.name}"}
    raise TypeError(f"cannot fingerprint a {type(obj).__name__} in a scenario")


def scenario_fingerprint(scenario) -> str:
    """SHA-256 of the scenario's content: everything that can change a number, nothing that only
    names it (its name, description, file names)."""
    text = json.dumps(_canonical(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def entry_key(scenario_fp: str, seed: int, replication: int, model_fp: str) -> str:
    return hashlib.sha256(f"{FORMAT}|{model_fp}|{scenario_fp}|{int(seed)}|{int(replication)}".encode()).hexdigest()


# ---- the table <-> bytes --------------------------------------------------------------------------
def _encode(table: pd.DataFrame) -> bytes:
    cols = {}
    for name in ("year", "month"):
        cols[name] = [int(v) for v in table[name].to_numpy()]
    for name in ("municipality", "kpi"):
        values = [str(v) for v in table[name].to_numpy()]
        levels = list(dict.fromkeys(values))
        index = {v: i for i, v in enumerate(levels)}
        cols[name] = {"levels": levels, "codes": [index[v] for v in values]}
    cols["value"] = [float(v) for v in table["value"].to_numpy()]
    return json.dumps(cols, separators=(",", ":"), allow_nan=True).encode()


def _decode(payload: bytes, replication: int) -> pd.DataFrame:
    cols = json.loads(payload)
    n = len(cols["value"])
    data = {"replication": [replication] * n, "year": cols["year"], "month": cols["month"]}
    for name in ("municipality", "kpi"):
        levels = cols[name]["levels"]
        data[name] = [levels[c] for c in cols[name]["codes"]]
    data["value"] = [float(v) for v in cols["value"]]
    table = pd.DataFrame(data, columns=list(COLUMNS))
    table["value"] = table["value"].astype("float64")
    return table


@dataclass
class CacheStats:
    read: int = 0
    written: int = 0
    corrupt: int = 0


class ResultCache:
    """Replication KPI tables on disk, keyed by (scenario content, seed, replication, model)."""

    def __init__(self, directory: str | Path | None = None, warn: Callable[[str], None] | None = None):
        self.dir = Path(directory) if directory is not None else default_dir()
        self.model = model_fingerprint()
        self.stats = CacheStats()
        self._warn = warn or (lambda msg: warnings.warn(msg, CacheWarning, stacklevel=3))
        self._fps: dict[int, tuple[object, str]] = {}

    def _scenario_fp(self, scenario) -> str:
        # keyed by identity, holding the object so the id cannot be reused while cached
        hit = self._fps.get(id(scenario))
        if hit is None or hit[0] is not scenario:
            if len(self._fps) >= 512:  # a calibration makes thousands of candidates: keep only recent ones
                self._fps.clear()
            hit = (scenario, scenario_fingerprint(scenario))
            self._fps[id(scenario)] = hit
        return hit[1]

    def path(self, scenario, seed: int, replication: int) -> Path:
        key = entry_key(self._scenario_fp(scenario), seed, replication, self.model)
        return self.dir / self.model[:16] / key[:2] / f"{key}.json.gz"

    def get(self, scenario, seed: int, replication: int) -> pd.DataFrame | None:
        """The cached table, or None if there is none or it is damaged (then it is removed)."""
        path = self.path(scenario, seed, replication)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn(f"cache entry {path} cannot be read ({exc.strerror}); recomputing it")
            return None
        try:
            text = gzip.decompress(raw)
            head, _, payload = text.partition(b"\n")
            header = json.loads(head)
            if header.get("format") != FORMAT or header.get("sha256") != hashlib.sha256(payload).hexdigest():
                raise ValueError("checksum mismatch")
            if (header.get("seed"), header.get("replication")) != (int(seed), int(replication)):
                raise ValueError("entry is for another replication")
            table = _decode(payload, int(replication))
        except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error) as exc:
            self.stats.corrupt += 1
            self._warn(f"cache entry {path} is damaged ({exc}); recomputing replication {replication}")
            path.unlink(missing_ok=True)
            return None
        self.stats.read += 1
        return table

    def put(self, scenario, seed: int, replication: int, table: pd.DataFrame) -> None:
        """Store a replication's table (atomically). A full disk or a read-only folder only warns:
        the cache is a convenience, never a reason for a run to fail."""
        path = self.path(scenario, seed, replication)
        payload = _encode(table)
        header = {"format": FORMAT, "sha256": hashlib.sha256(payload).hexdigest(), "seed": int(seed),
                  "replication": int(replication), "model": self.model,
                  "scenario": self._scenario_fp(scenario), "name": getattr(scenario, "name", ""),
                  "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        data = gzip.compress(json.dumps(header).encode() + b"\n" + payload, compresslevel=6, mtime=0)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        except OSError as exc:
            self._warn(f"cannot write the cache entry {path} ({exc.strerror}); the run goes on without it")
            return
        self.stats.written += 1


# ---- cache info / clear ---------------------------------------------------------------------------
@dataclass
class CacheInfo:
    directory: Path
    current_model: str
    entries: dict[str, int]  # by model fingerprint prefix (the folder name)
    sizes: dict[str, int]  # bytes, by model fingerprint prefix

    @property
    def total_entries(self) -> int:
        return sum(self.entries.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())


def cache_info(directory: str | Path) -> CacheInfo:
    directory = Path(directory)
    entries: dict[str, int] = {}
    sizes: dict[str, int] = {}
    if directory.is_dir():
        for model_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
            files = list(model_dir.glob("*/*.json.gz"))
            entries[model_dir.name] = len(files)
            sizes[model_dir.name] = sum(f.stat().st_size for f in files)
    return CacheInfo(directory, model_fingerprint()[:16], entries, sizes)


def clear_cache(directory: str | Path, stale_only: bool = False) -> int:
    """Remove the cache's entries (with ``stale_only``, only those of other model versions).
    Returns the number of entries removed. Only model folders (16 hex digits) are touched."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    current = model_fingerprint()[:16]
    removed = 0
    for model_dir in directory.iterdir():
        if not (model_dir.is_dir() and len(model_dir.name) == 16 and _is_hex(model_dir.name)):
            continue
        if stale_only and model_dir.name == current:
            continue
        removed += sum(1 for _ in model_dir.glob("*/*.json.gz"))
        shutil.rmtree(model_dir)
    return removed


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def describe(stats: CacheStats, total: int, directory: Path) -> str:
    """One line for the console: how much came from the cache."""
    simulated = total - stats.read
    line = (f"cache: read {stats.read} of {total} replications from {directory}, simulated {simulated}")
    if stats.corrupt:
        line += f" ({stats.corrupt} damaged entries recomputed)"
    return line


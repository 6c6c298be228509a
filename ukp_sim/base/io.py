"""Atomic writing of result files: a reader never sees a half-written file."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ukp_sim.base.errors import UserError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over ``path``."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_outputs(out_dir: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write every file of a result set atomically into ``out_dir`` (created if missing).

    All contents are rendered before this is called, so an error while building results writes
    nothing at all.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    written = []
    for name, data in files.items():
        target = out_dir / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)  # names may hold a subfolder, e.g. figures/
            write_atomic(target, data)
        except OSError as exc:
            raise UserError(f"cannot write {target}: {exc.strerror}") from None
        written.append(target)
    return written


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

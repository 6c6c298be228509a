"""What every output's run.json records besides the results: version, date, command, the KPI
definitions and the targets with the status rule (shared by every command)."""
from __future__ import annotations

import datetime as dt
import platform
import shlex
import time

from ukp_sim import __version__
from ukp_sim.config.targets import TARGETS_FILE, load_targets


def provenance(args, started: float, prog: tuple[str, ...] = ("ukp-sim",)) -> dict:
    """For run.json: the version, date, wall time, Python and the command actually run
    (``prog`` followed by ``args.argv``)."""
    return {
        "version": __version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.time() - started, 2),
        "python": platform.python_version(),
        "command": shlex.join([*prog, *args.argv]),
    }


def targets_meta() -> dict:
    targets, rule = load_targets()
    return {
        "targets": {k: {"target": t.target, "direction": t.direction, "baseline": t.baseline,
                        "baseline_note": t.baseline_note, "scope": t.scope} for k, t in targets.items()},
        "status_rule": {"green": "target met",
                        "yellow": f"missed, but >= {rule.yellow_attainment:.0%} of the way from baseline to "
                                  f"target (or within {rule.yellow_relative:.0%} of a target equal to the baseline)",
                        "red": "otherwise", "source": str(TARGETS_FILE.name)},
        "attainment": "(baseline - mean) / (baseline - target): 0 at the baseline, 1 at the target; empty where "
                      "no target applies or the target equals the baseline",
    }


def definitions_meta(definitions) -> dict:
    return {k: {"label_nb": d.label_nb, "label_en": d.label_en, "unit": d.unit, "definition": d.definition}
            for k, d in definitions.items()}

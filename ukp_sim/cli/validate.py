"""``ukp-sim validate``: load and check a scenario file without running it.

It needs only the configuration layer, so it starts fast (no pandas, numpy, scipy or simpy).
"""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    val = sub.add_parser("validate", help="check a scenario file without running it",
                         description="Load and validate a scenario file (following `extends`), "
                         "print a short summary, and exit 0 if it is usable, 2 if not.")
    val.add_argument("scenario", type=Path, help="scenario file (TOML)")


def execute(args) -> int:
    from ukp_sim.config.loader import load_scenario

    s = load_scenario(args.scenario)
    beds = sum(u.beds for m in s.municipalities.values() for u in m.korttid.units.values())
    print(f"{args.scenario}: OK — scenario '{s.name}', {len(s.municipalities)} municipalities, "
          f"{s.population} inhabitants, {beds} korttidsplasser, period from {s.period.start}, "
          f"{s.period.years} year(s)")
    from ukp_sim.config.diff import validate_diff_lines

    for line in validate_diff_lines(args.scenario, s):
        print(line)
    return 0

"""``--worlds N`` / ``--world K`` for the commands that can answer over plausible worlds (study,
compare): which calibration's ensemble, which year's worlds, and the clear errors."""
from __future__ import annotations

import argparse
from pathlib import Path

BUNDLED_CALIBRATION = Path(__file__).resolve().parent.parent / "data" / "calibration" / "targets.toml"


def add_world_options(p: argparse.ArgumentParser, calibration: bool = False) -> None:
    p.add_argument("--worlds", type=int, default=None, metavar="N",
                   help="run every scenario in the first N plausible worlds of the calibration's ensemble (0: all), so "
                   "intervals carry the parameters the data cannot settle (default: the calibrated baseline alone)")
    p.add_argument("--world", type=int, default=None, metavar="K", help="run in plausible world K alone")
    if calibration:
        p.add_argument("--calibration", type=Path, default=None, metavar="TARGETS",
                       help="the calibration targets file whose ensemble --worlds uses (default: the built-in "
                       "calibration/targets.toml)")


def check_world_options(args) -> None:
    from ukp_sim.base.errors import UserError

    if args.worlds is not None and args.world is not None:
        raise UserError("give --worlds N or --world K, not both")
    if (args.worlds is not None and args.worlds < 0) or (args.world is not None and args.world < 1):
        raise UserError("--worlds must be 0 (all) or more, --world 1 or more")


def worlds_maker(args, calibration: Path | None, baseline: Path, where: str):
    """The ``WorldMaker`` of ``--worlds``/``--world`` (None without them): the worlds of the
    calibrated year whose baseline ``baseline`` is or extends, from the ensemble beside the
    calibration targets file. ``where`` names what should have named the calibration."""
    check_world_options(args)
    if args.worlds is None and args.world is None:
        return None
    from ukp_sim.analysis.worlds import WorldMaker, load_worlds
    from ukp_sim.base.errors import UserError
    from ukp_sim.config.calibration_file import load_calibration_spec
    from ukp_sim.config.loader import load_scenario_data

    if calibration is None:
        raise UserError(f"{where}: names no calibration, so there are no worlds to run over "
                        '(add calibration = "../calibration/targets.toml")')
    cal = load_calibration_spec(calibration)
    _, files, _ = load_scenario_data(baseline)
    chain = {f.resolve() for f in files}
    years = [int(y) for y, ys in cal.years.items() if cal.resolve(ys.output) in chain]
    if not years:
        raise UserError(f"{baseline}: is not a calibrated baseline of {calibration} and extends none "
                        f"({', '.join(Path(ys.output).name for ys in cal.years.values())}), so it has no worlds")
    return WorldMaker(load_worlds(cal, max(years), first=args.worlds or None, only=args.world))


def worlds_meta(ids, file) -> dict:
    """run.json's record of the worlds: their numbers, the ensemble file and its SHA-256 (which
    worlds, exactly), and how the intervals were computed; empty fields without worlds."""
    if not ids:
        return {"worlds": [], "worlds_file": None, "worlds_file_sha256": None}
    from ukp_sim.analysis.over_worlds import CI_STATEMENT
    from ukp_sim.base.io import file_sha256

    return {"worlds": list(ids), "worlds_file": str(file), "worlds_file_sha256": file_sha256(file),
            "confidence_intervals": CI_STATEMENT}

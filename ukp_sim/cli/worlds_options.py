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
    p.add_argument("--fixed-interventions", action="store_true",
                   help="over worlds, keep every intervention's estimated effects at their documented defaults "
                   "(a what-if with known settings; default: drawn per world over their plausible ranges, world 1 "
                   "keeping the defaults)")
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


def worlds_maker(args, calibration: Path | None, baseline: Path, where: str, seed: int):
    """The ``WorldMaker`` of ``--worlds``/``--world`` (None without them): the worlds of the
    calibrated year whose baseline ``baseline`` is or extends, from the ensemble beside the
    calibration targets file, with the interventions' effects drawn per world from ``seed``
    (unless ``--fixed-interventions``). ``where`` names what should have named the calibration."""
    check_world_options(args)
    if args.worlds is None and args.world is None:
        if getattr(args, "fixed_interventions", False):
            from ukp_sim.base.errors import UserError

            raise UserError("--fixed-interventions applies over worlds only: add --worlds N (without worlds every "
                            "effect is at its default already)")
        return None
    from ukp_sim.analysis.intervention_draws import EffectDraws
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
    worlds = load_worlds(cal, max(years), first=args.worlds or None, only=args.world)
    draws = None if args.fixed_interventions else EffectDraws.draw(worlds.numbered, seed)
    return WorldMaker(worlds, draws)


def worlds_meta(maker, file=None) -> dict:
    """run.json's record of the worlds: their numbers, the ensemble file and its SHA-256 (which
    worlds, exactly), how the intervals were computed, and each world's inputs (its calibrated
    parameters and its draws of the interventions' effects); empty fields without worlds."""
    if maker is None:
        return {"worlds": [], "worlds_file": None, "worlds_file_sha256": None}
    from ukp_sim.analysis.intervention_draws import uncertain_effects
    from ukp_sim.analysis.over_worlds import CI_STATEMENT
    from ukp_sim.base.io import file_sha256

    ws = maker.worlds
    names, points = maker.points()
    effects = {"drawn": maker.draws is not None,
               "design": ("world 1 at the documented defaults; worlds 2..M one Latin hypercube over the plausible "
                          "ranges, row k-2 for world k" if maker.draws is not None else
                          "every effect at its documented default (--fixed-interventions)"),
               "seed": maker.draws.seed if maker.draws is not None else None,
               "ranges": {e.name: [e.low, e.high] for e in uncertain_effects()}}
    return {"worlds": list(ws.ids), "worlds_file": str(file or ws.file), "worlds_file_sha256": file_sha256(ws.file),
            "confidence_intervals": CI_STATEMENT, "intervention_effects": effects,
            "world_inputs": {str(w): dict(zip(names, (float(v) for v in row))) for w, row in zip(ws.ids, points)}}

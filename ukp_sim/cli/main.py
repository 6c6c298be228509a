"""The ``ukp-sim`` command: the parser and the dispatch to one module per command.

Building the parser imports nothing heavy (each command imports pandas, numpy, the model and
the like inside its ``execute``), so ``ukp-sim --help`` and ``ukp-sim validate`` start fast.
"""
from __future__ import annotations

import argparse
import sys

from ukp_sim.cli import cache, calibrate, compare, run, study, target, validate
from ukp_sim.cli.common import Parser, VersionAction

EPILOG = """examples (each builds on the calibrated 2023 baseline, scenarios/baseline_2023.toml):
  ukp-sim validate scenarios/baseline_2023.toml
  ukp-sim run scenarios/baseline_2023.toml
  ukp-sim run scenarios/baseline_2023.toml --replications 30 --seed 7 --jobs 2 --out results/base
  ukp-sim run scenarios/baseline_2023.toml --precision 0.05 --jobs 2
  ukp-sim compare scenarios/interventions/reference.toml scenarios/interventions/discharge_team.toml --replications 20
  ukp-sim target scenarios/baseline_2023.toml --lever korttid_beds --municipality Trondheim --max 40
  ukp-sim study --jobs 2
  ukp-sim run scenarios/baseline_2023.toml -n 40 --cluster local:2    # on Dask (pip install 'ukp-sim[dask]')
  ukp-sim cache info                 # finished replications kept for interrupted or repeated runs
  ukp-sim validate my_whatif.toml    # a what-if: extends = "scenarios/baseline_2023.toml" (path from the file)

Exit codes: 0 success, 1 unexpected failure, 2 a problem with the input (the message says which
file, which key and how to fix it), 130 interrupted (finished replications are kept in the result cache: run the same
command again to simulate only what is missing)."""

# In the order `--help` lists them.
COMMANDS = {"run": run, "compare": compare, "calibrate": calibrate, "target": target, "study": study,
            "validate": validate, "cache": cache}


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ukp-sim",
        description="Discrete-event simulation of discharge-ready patients (UKP) between St. Olavs "
        "hospital and the municipalities of its health community: UKP-days, korttidsplasser, home "
        "services and readmissions, with the six KPIs of the strategy and 95 % confidence intervals.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action=VersionAction)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from ukp_sim.base.errors import UserError

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command].execute(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

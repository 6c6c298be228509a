"""What the commands share: option parsers, the common output options, the progress bar and the
metadata helpers.

Nothing here imports pandas, numpy, scipy, simpy or matplotlib at module level: the parser is
built on every start, ``--help`` and ``validate`` included, and must stay cheap. Help texts that
need the heavy modules (the lever list, the default precision KPIs) are made by functions that
``Parser`` calls only when help is shown.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose epilog may be a function and whose options may carry a
    ``make_help`` function (see ``help_when_shown``), both called only when the help is printed,
    so building the parser imports nothing heavy."""

    def format_help(self) -> str:
        if callable(self.epilog):
            self.epilog = self.epilog()
        for action in self._actions:
            make = getattr(action, "make_help", None)
            if make is not None:
                action.help, action.make_help = make(), None
        return super().format_help()


def help_when_shown(action: argparse.Action, make) -> None:
    """Replace ``action``'s (plain, short) help by ``make()`` when the help is printed."""
    action.make_help = make


class VersionAction(argparse.Action):
    """``--version``, reading the installed version (importlib.metadata) only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show program's version number and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ukp_sim import __version__

        print(f"ukp-sim {__version__}")
        parser.exit()


def whole_number_at_least(minimum: int, words: str):
    """An argparse type: a whole number >= ``minimum`` (``words`` says so in the error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {words}, got {value}")
        return value
    return parse


positive_int = whole_number_at_least(1, "at least 1")
seed_int = whole_number_at_least(0, "0 or more")


def share(example: str, lowest: float, below_one: bool, words: str):
    """An argparse type: a share such as 0.05 or 5 % within (``lowest``, 1] or [``lowest``, 1)."""
    def parse(text: str) -> float:
        try:
            value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number ({example})") from None
        ok = lowest <= value < 1 if below_one else lowest < value <= 1
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {words}, got {text}")
        return value
    return parse


precision_share = share("e.g. 0.05 for 5 %", 0.0, False, "a share of the mean above 0 and at most 1 (e.g. 0.05)")


def kpi_list(text: str) -> tuple[str, ...]:
    from ukp_sim.kpi import DEFINITIONS

    kpis = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kpis:
        raise argparse.ArgumentTypeError("name at least one KPI, e.g. ukp_days,mean_ukp_stay")
    for k in kpis:
        if k not in DEFINITIONS:
            raise argparse.ArgumentTypeError(f"unknown KPI '{k}' (choose from {', '.join(DEFINITIONS)})")
    return kpis


def _precision_kpis_help() -> str:
    from ukp_sim.analysis.precision import DEFAULT_PRECISION_KPIS

    return ("KPIs the precision applies to, whole community and whole years (default "
            f"{','.join(DEFAULT_PRECISION_KPIS)})")


def add_replication_options(p: argparse.ArgumentParser, differences: bool = False) -> None:
    """--replications, or --precision (a share of each KPI's mean) and, with ``differences`` (compare),
    --precision-diff (a half-width of each paired difference, in the KPI's units), with their limits."""
    how = p.add_mutually_exclusive_group()
    how.add_argument("--replications", "-n", type=positive_int, default=None,
                     help="independent replications (default 10); not with --precision")
    how.add_argument("--precision", "-p", type=precision_share, default=None, metavar="P",
                     help="choose the replications so that the 95 %% CI half-width of the --precision-kpis is "
                     "within P of the mean (e.g. 0.05 = 5 %%); not with --replications")
    if differences:
        how.add_argument("--precision-diff", type=positive_number, default=None, metavar="D",
                         help="choose the replications so that the 95 %% CI half-width of every scenario's paired "
                         "difference against the baseline is at most D in the KPI's units (e.g. 100 UKP-days); "
                         "for a comparison this is the rule to use: see the README")
    kpis = p.add_argument("--precision-kpis", type=kpi_list, default=None, metavar="KPI,KPI",
                          help="KPIs the precision applies to, whole community and whole years")
    help_when_shown(kpis, _precision_kpis_help)
    p.add_argument("--min-replications", type=positive_int, default=None,
                   help="with --precision (or --precision-diff): replications to start with (default 5, at least 2)")
    p.add_argument("--max-replications", type=positive_int, default=None,
                   help="with --precision (or --precision-diff): most replications to run (default 100)")


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (e.g. 100)") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def resolve_replications(args) -> None:
    """Fill in the defaults of the replication options and check that they fit together."""
    from ukp_sim.analysis.precision import DEFAULT_PRECISION_KPIS, DIFFERENCE_KPIS
    from ukp_sim.base.errors import UserError

    what = "--precision or --precision-diff" if hasattr(args, "precision_diff") else "--precision"
    if not hasattr(args, "precision_diff"):
        args.precision_diff = None
    if args.precision is None and args.precision_diff is None:
        for opt in ("precision_kpis", "min_replications", "max_replications"):
            if getattr(args, opt) is not None:
                raise UserError(f"--{opt.replace('_', '-')} needs {what} (or leave it out)")
        if args.replications is None:
            args.replications = 10
        return
    # one D in the KPI's own units: by default UKP-days alone (D = 100 would say nothing of a share)
    default = DIFFERENCE_KPIS if args.precision_diff is not None else DEFAULT_PRECISION_KPIS
    args.precision_kpis = args.precision_kpis or default
    args.min_replications = 5 if args.min_replications is None else args.min_replications
    args.max_replications = 100 if args.max_replications is None else args.max_replications
    if args.min_replications < 2:
        raise UserError("--min-replications must be at least 2 with --precision (a confidence interval needs two)")
    if args.max_replications < args.min_replications:
        raise UserError(f"--max-replications ({args.max_replications}) is below --min-replications "
                        f"({args.min_replications})")


def add_output_options(p: argparse.ArgumentParser, out_default: Path | None, out_help: str, printed: str) -> None:
    """--seed, --jobs, --out, --lang and --quiet, the same for every command that simulates and writes."""
    p.add_argument("--seed", "-s", type=seed_int, default=20231, help="run seed (default 20231)")
    p.add_argument("--jobs", "-j", type=positive_int, default=1,
                   help="worker processes (default 1; results are identical for any value)")
    add_engine_options(p)
    p.add_argument("--out", "-o", type=Path, default=out_default, help=out_help)
    p.add_argument("--lang", choices=("nb", "en"), default="nb",
                   help=f"language of the printed {printed}: nb (bokmål, default) or en")
    p.add_argument("--quiet", "-q", action="store_true", help=f"no progress bar and no {printed}")


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """--cluster, --cache-dir and --no-cache: where replications run and where finished ones are kept."""
    p.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="run on Dask instead of --jobs: local:N starts N local worker processes, tcp://HOST:PORT "
                   "uses a running scheduler (needs pip install 'ukp-sim[dask]'; results are identical)")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="where finished replications are kept, so an interrupted or repeated command simulates "
                   "only what is missing (default results/.cache, or $UKP_SIM_CACHE_DIR)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")


def make_runner(args):
    """The command's Runner: its backend (--jobs or --cluster) and its result cache."""
    from ukp_sim.analysis.backends import check_cluster
    from ukp_sim.analysis.cache import ResultCache
    from ukp_sim.analysis.runner import Runner

    cluster = check_cluster(args.cluster) if getattr(args, "cluster", None) else None
    cache = None
    if not getattr(args, "no_cache", False):
        cache = ResultCache(getattr(args, "cache_dir", None), warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    return Runner(args.jobs, cluster=cluster, cache=cache)


def engine_meta(runner) -> dict:
    """For run.json: where the replications ran and what came from the cache."""
    meta = {"engine": runner.describe()}
    if runner.cache is None:
        meta["cache"] = None
    else:
        st = runner.cache.stats
        meta["cache"] = {"dir": str(runner.cache.dir), "model": runner.cache.model[:16], "read": st.read,
                         "written": st.written, "damaged_recomputed": st.corrupt}
    return meta


def report_cache(args, runner) -> None:
    """Say how many replications came from the cache (not with --quiet; damaged entries are warned
    about as they are found)."""
    if runner.cache is None or runner.requested == 0 or args.quiet:
        return
    from ukp_sim.analysis.cache import describe

    print(describe(runner.cache.stats, runner.requested, runner.cache.dir), file=sys.stderr)


def kept_in_cache(runner) -> str:
    """The sentence for an interrupted command: where its finished replications are."""
    if runner.cache is None:
        return "the finished replications are not kept (--no-cache)"
    return (f"the finished replications are kept in the cache ({runner.cache.dir}); run the same command "
            "again to simulate only what is missing")


class Progress:
    """A tqdm bar (shown after two seconds) whose total can grow with each batch of replications."""

    def __init__(self, quiet: bool, desc: str, per_batch: int = 1):
        self.bar = None
        self.per_batch = per_batch
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=0, desc=desc, unit="rep", delay=2.0, file=sys.stderr, leave=False)

    def set_replications(self, n: int) -> None:
        if self.bar is not None:
            self.bar.total = n * self.per_batch
            self.bar.refresh()

    @property
    def update(self):
        return self.bar.update if self.bar is not None else None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_scenarios(args, runner, scenarios: dict, desc: str):
    """Run the scenarios (by name) with --replications or to --precision on ``runner``. Returns
    the results by name and the PrecisionResult (None with --replications)."""
    from ukp_sim.analysis.precision import run_to_precision
    from ukp_sim.analysis.runner import run_many

    bar = Progress(args.quiet, desc, per_batch=len(scenarios))
    try:
        if args.precision is None and getattr(args, "precision_diff", None) is None:
            bar.set_replications(args.replications)
            return run_many(scenarios, range(args.replications), args.seed, runner, bar.update), None
        pres = run_to_precision(scenarios, args.seed, args.precision or 0.05, args.precision_kpis,
                                args.min_replications, args.max_replications, runner, bar.update,
                                bar.set_replications, difference=getattr(args, "precision_diff", None))
        return pres.results, pres
    finally:
        bar.close()


def files_meta(scenario) -> list[dict]:
    """The scenario's files (the `extends` chain) with their SHA-256, for run.json."""
    from ukp_sim.base.io import file_sha256

    return [{"path": f, "sha256": file_sha256(f)} for f in scenario.source_files]


def json_value(v):
    """A plain JSON value: numpy scalars become Python numbers, NaN becomes null."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def console_command(*words: str) -> tuple[str, ...]:
    """``ukp-sim`` and ``words`` as a reproduce command that works as printed: the console script
    beside this Python (so ``.venv/bin/ukp-sim`` after ``make run``, without activating the venv),
    relative to the working folder when inside it; plain ``ukp-sim`` if there is none."""
    script = Path(sys.executable).parent / "ukp-sim"  # not resolved: a venv's python is a link
    if not script.exists():
        return ("ukp-sim", *words)
    try:
        shown = script.relative_to(Path.cwd())
    except ValueError:
        shown = script
    return (str(shown), *words)

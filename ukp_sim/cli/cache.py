"""``ukp-sim cache``: what the result cache holds (``info``) and emptying it (``clear``).

The cache keeps every finished replication's KPI rows under results/.cache (or --cache-dir, or
$UKP_SIM_CACHE_DIR), so an interrupted or repeated command simulates only what is missing. Entries
of an older model version are never read; ``clear --stale`` removes just those.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser(
        "cache", help="show or empty the result cache",
        description="The result cache keeps each finished replication's KPI rows, keyed by the scenario's "
        "content, the seed, the replication and the model version, so that an interrupted or repeated run, "
        "compare, study, target or calibrate simulates only what is missing.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  ukp-sim cache info\n  ukp-sim cache clear --stale   # entries of older model versions\n"
        "  ukp-sim cache clear --cache-dir /scratch/ukp-cache",
    )
    p.add_argument("action", choices=("info", "clear"), help="info: what it holds; clear: remove the entries")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="the cache folder (default results/.cache, or $UKP_SIM_CACHE_DIR)")
    p.add_argument("--stale", action="store_true",
                   help="with clear: remove only entries of other model versions (they are never read)")


def execute(args) -> int:
    from ukp_sim.analysis.cache import cache_info, clear_cache, default_dir
    from ukp_sim.base.errors import UserError

    directory = args.cache_dir or default_dir()
    if args.action == "clear":
        removed = clear_cache(directory, stale_only=args.stale)
        what = "entries of older model versions" if args.stale else "entries"
        print(f"removed {removed} {what} from {directory}")
        return 0
    if args.stale:
        raise UserError("--stale goes with 'clear' (fix: ukp-sim cache clear --stale)")
    info = cache_info(directory)
    print(f"cache folder: {directory}")
    print(f"this model version: {info.current_model}")
    if not info.entries:
        print("empty")
        return 0
    for model, count in info.entries.items():
        mark = "  (this version)" if model == info.current_model else "  (older version: never read)"
        print(f"  {model}: {count} replications, {_size(info.sizes[model])}{mark}")
    print(f"total: {info.total_entries} replications, {_size(info.total_bytes)}")
    return 0


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"

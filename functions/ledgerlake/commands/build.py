"""`ledgerlake build`: compact new raw objects, run the dbt project, publish the marts."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build the marts from the raw lake (dbt), incrementally",
        description=(
            "Compact new raw objects to Parquet, run `dbt build` (models, unit tests, integrity "
            "tests) with a progress line per model, then publish every mart as Parquet to the "
            "marts bucket. The DuckDB warehouse is written to $LEDGERLAKE_HOME/warehouse.duckdb."
        ),
    )
    parser.add_argument(
        "--full-refresh", action="store_true", help="rebuild every model from scratch (from the compacted lake)"
    )
    parser.add_argument(
        "--recompact",
        action="store_true",
        help="also discard the compacted Parquet and re-read every raw object (recovery; slow)",
    )
    parser.add_argument("--select", nargs="+", metavar="SELECTOR", help="dbt selectors, e.g. marts.ledger+")
    parser.add_argument("--no-export", action="store_true", help="skip publishing marts to S3")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..transform import build

    result = build(
        full_refresh=args.full_refresh, recompact=args.recompact, select=args.select, export=not args.no_export
    )
    print(
        f"build {'ok' if result.success else 'FAILED'} in {result.seconds:.1f}s: "
        f"{result.new_raw_objects} new of {result.total_raw_objects} raw objects "
        f"(compaction {result.compaction_seconds:.1f}s), {result.models} models, {result.tests} tests "
        f"(dbt {result.dbt_seconds:.1f}s), {len(result.exported)} marts published; warehouse {result.warehouse}",
        file=sys.stderr,
    )
    for failure in result.failures:
        print(f"  FAILED {failure}", file=sys.stderr)
    return 0 if result.success else 1

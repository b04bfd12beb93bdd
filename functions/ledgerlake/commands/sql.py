"""`ledgerlake sql`: a DuckDB shell over the marts (and the lake), or one query with -c."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from ..analyst.examples import HELP_EXAMPLES

    parser = sub.add_parser(
        "sql",
        help="query the marts with DuckDB: an interactive shell, or one query with -c",
        description=(
            "Open a DuckDB shell with the marts attached read-only (the warehouse file "
            "$LEDGERLAKE_HOME/warehouse.duckdb, else the Parquet marts on S3) and the raw lake "
            "readable over S3. The current schema is `marts`; `forecast.*` and the other dbt "
            "schemas resolve too. With -c, run QUERY, print the result and exit. Piped stdin "
            "runs as a script. See docs/analysts.md."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        + "\n".join(f"  {e}" for e in HELP_EXAMPLES)
        + "\n\nstart with: .tables lists every relation; docs/analysts.md names the dozen marts to begin with.",
    )
    parser.add_argument("query", nargs="?", default=None, help="same as -c QUERY")
    parser.add_argument("-c", "--command", metavar="QUERY", help="run QUERY (one or more statements) and exit")
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format (default table)"
    )
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="warehouse file (default $LEDGERLAKE_HOME/warehouse.duckdb)"
    )
    parser.add_argument(
        "--source",
        choices=("auto", "warehouse", "s3"),
        default="auto",
        help="where the marts come from: the warehouse file, the Parquet marts on S3, "
        "or auto (the file when it exists)",
    )
    parser.add_argument(
        "--no-lake", action="store_true", help="do not set up S3 access (httpfs + secret) for the raw lake"
    )
    parser.set_defaults(func=_sql)


def _sql(args) -> int:
    from .. import config
    from ..analyst import MartsNotFound, connect
    from ..analyst.output import render
    from ..analyst.shell import Shell, interactive, run_sql

    try:
        conn = connect(args.warehouse, source=args.source, lake=not args.no_lake)
    except MartsNotFound as err:
        print(f"ledgerlake sql: {err}", file=sys.stderr)
        return 2
    if args.command is None and args.query is not None:
        args.command = args.query
    try:
        if args.command is not None:
            try:
                result = run_sql(conn, args.command)
            except Exception as err:  # noqa: BLE001 - DuckDB's message is the useful part
                print(f"Error: {err}", file=sys.stderr)
                return 1
            if result is not None:
                sys.stdout.write(render(args.format, *result))
            return 0
        if sys.stdin.isatty():
            lake = "" if args.no_lake else ", raw lake readable over S3"
            banner = f"ledgerlake sql: marts attached{lake}. End statements with ';'. .help for help."
            interactive(conn, history=config.home() / "sql_history", banner=banner)
            return 0
        errors = Shell(conn, fmt=args.format).run(read_line=lambda _prompt: _read_stdin_line())
        return 1 if errors else 0
    finally:
        conn.close()


def _read_stdin_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")

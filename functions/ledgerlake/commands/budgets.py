"""`ledgerlake budgets`: import an FP&A budget CSV (checked, all or nothing) and list budgets."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "budgets",
        help="import a budget CSV, list the budgets",
        description=(
            "Budgets for the budget_vs_actual mart and the dashboard's Budget vs actual page "
            "(docs/budgets.md). A CSV with columns entity, account, month, amount (optional currency, "
            "note) is checked against the ledgers' chart of accounts; any problem refuses the whole "
            "file, naming each line and reason, and nothing changes."
        ),
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser(
        "import",
        help="check a budget CSV and publish it (replaces the budget of that name)",
    )
    p.add_argument("file", type=Path, help="the CSV file")
    p.add_argument(
        "--name",
        default="Budget",
        help="the budget's name (default: Budget); re-importing replaces it",
    )
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    p.add_argument("--by", default=None, help="who imports it (default: the current user)")
    p.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="the built warehouse holding the chart of accounts",
    )
    p.set_defaults(func=_import)

    p = verbs.add_parser("list", help="the budgets published to the lake")
    p.set_defaults(func=_list)


def _import(args) -> int:
    from ..budgets import BudgetRefused, Chart, import_file
    from ..config import home
    from ..lake import Lake

    try:
        chart = Chart.from_warehouse(args.warehouse or home() / "warehouse.duckdb")
    except FileNotFoundError as err:
        print(f"ledgerlake budgets: {err}", file=sys.stderr)
        return 1
    if not args.file.is_file():
        print(f"ledgerlake budgets: no file {args.file}", file=sys.stderr)
        return 1
    try:
        done = import_file(
            args.file,
            chart,
            None if args.dry_run else Lake(),
            name=args.name,
            by=args.by or getpass.getuser(),
            dry_run=args.dry_run,
        )
    except BudgetRefused as refused:
        print(
            f"ledgerlake budgets: {args.file} refused, nothing imported ({len(refused.problems)} problem(s)):",
            file=sys.stderr,
        )
        for line, why in refused.problems:
            print(
                f"  {args.file.name}:{line}: {why}" if line else f"  {why}",
                file=sys.stderr,
            )
        return 2
    verb = "checked (dry run, nothing written)" if args.dry_run else f"imported as {done.key}"
    print(
        f"{args.file}: {done.lines} budget lines for {', '.join(done.entities)}, "
        f"{done.months[0]:%b %Y} – {done.months[1]:%b %Y}: {verb}. The next `ledgerlake run` (or build) "
        "publishes budget_vs_actual."
    )
    return 0


def _list(args) -> int:
    from ..budgets import published
    from ..lake import Lake

    found = published(Lake())
    if not found:
        print("No budgets yet: `ledgerlake budgets import FILE`.")
    for item in found:
        print(f"{item['key']}\t{item['bytes']} bytes\t{item['modified']:%Y-%m-%d %H:%M}")
    return 0

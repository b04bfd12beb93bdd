"""`ledgerlake report weekly`: render the weekly KPI email locally (and optionally send it)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="render (and optionally send) the weekly KPI email",
        description="Reports built from the marts. See docs/weekly-email.md.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="REPORT")
    kinds.required = True
    weekly = kinds.add_parser(
        "weekly",
        help="the weekly KPI email: writes .eml, .html (+ chart .png) and .txt",
        description=(
            "Render the weekly KPI email for the last full week (Monday-Sunday) before --as-of: "
            "the week's KPIs against the prior week and the 4-week average, the cash forecast "
            "chart, new alerts and integration health. Writes DIR/weekly-<week>.eml (the exact "
            "message SES would send), .html (open in a browser), -cash.png and .txt. With --send, "
            "also sends it through SES to LEDGERLAKE_EMAIL_RECIPIENTS from LEDGERLAKE_EMAIL_SENDER."
        ),
    )
    weekly.add_argument("--out", type=Path, required=True, help="output directory")
    weekly.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="report date YYYY-MM-DD (default: today in LEDGERLAKE_REPORT_TIMEZONE)",
    )
    weekly.add_argument(
        "--warehouse", type=Path, default=None, help="warehouse file (default $LEDGERLAKE_HOME/warehouse.duckdb)"
    )
    weekly.add_argument(
        "--source",
        choices=("auto", "warehouse", "s3"),
        default="auto",
        help="where the marts come from (default: the warehouse file when it exists)",
    )
    weekly.add_argument("--send", action="store_true", help="also send it through Amazon SES")
    weekly.set_defaults(func=_weekly)


def _weekly(args) -> int:
    from ..analyst import MartsNotFound, connect
    from ..progress import step
    from ..report import weekly_email, write_local
    from ..report.send import send
    from ..report.settings import ReportSettings
    from ..report.weekly import NoData

    settings = ReportSettings.from_env()
    if args.send:
        try:
            settings.require_delivery()
        except ValueError as err:
            print(f"ledgerlake report: {err}", file=sys.stderr)
            return 2
    try:
        conn = connect(args.warehouse, source=args.source, lake=False)  # the marts only; s3 sets itself up
    except MartsNotFound as err:
        print(f"ledgerlake report: {err}", file=sys.stderr)
        return 2
    step("reading the marts and rendering the weekly email")
    try:
        email = weekly_email(conn, as_of=args.as_of, settings=settings)
    except NoData as err:
        print(f"ledgerlake report: {err}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    paths = write_local(email, args.out)
    print(f"{email.rendered.subject}")
    for kind in ("eml", "html", "txt"):
        print(f"  {kind:4s} {paths[kind]}")
    if args.send:
        step(f"sending through SES to {len(settings.recipients)} recipient(s)")
        print(f"  sent: SES MessageId {send(email.message, settings)}")
    return 0

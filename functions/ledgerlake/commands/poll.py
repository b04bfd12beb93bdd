"""`ledgerlake poll SOURCE [--since DATE]`: run a poller locally (incremental or backfill)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from ..sources import POLLED

SOURCES = POLLED


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "poll",
        help="pull changes from a provider's API into the raw lake",
        description="Run one source's poller (or 'all') from its saved cursor, landing one raw object per "
        "page; --since backfills from a date instead. Base URLs come from <SOURCE>_API_BASE_URL "
        "(e.g. the local `ledgerlake sources serve`), else the provider's real API.",
    )
    parser.add_argument("source", choices=SOURCES + ("all",), help="provider to poll, or 'all'")
    parser.add_argument(
        "--since", default=None, help="backfill: start at this date/time (ISO, UTC) instead of the saved cursor"
    )
    parser.add_argument(
        "--budget", type=float, default=None, help="stop cleanly after this many seconds (resumes next run)"
    )
    parser.add_argument("--base-url", default=None, help="override <SOURCE>_API_BASE_URL for this run")
    parser.add_argument(
        "--local",
        action="store_true",
        help="poll the local API server (`ledgerlake sources serve`, http://127.0.0.1:8340/<source>)",
    )
    parser.add_argument("--show-cursors", action="store_true", help="print the saved cursors and exit")
    parser.set_defaults(func=_poll)


def parse_since(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _poll(args) -> int:
    from ..lake import Lake
    from ..polling import poll_source
    from ..polling.cursors import CursorStore
    from ..progress import step

    lake = Lake()
    if args.show_cursors:
        cursors = CursorStore(lake).all()
        wanted = {k: v for k, v in cursors.items() if args.source == "all" or k.startswith(args.source + "/")}
        print(json.dumps(wanted, indent=1, sort_keys=True))
        return 0
    since = parse_since(args.since) if args.since else None
    if args.local:
        from ..config import ensure_local_provider_credentials, load_local_env

        ensure_local_provider_credentials()
        load_local_env()
    failed = 0
    for source in SOURCES if args.source == "all" else (args.source,):
        step(f"polling {source}" + (f" since {since.isoformat()}" if since else " from its cursor"))
        base_url = args.base_url or (f"http://127.0.0.1:8340/{source}" if args.local else None)
        result = poll_source(source, lake=lake, base_url=base_url, since=since, budget_seconds=args.budget)
        print(result.summary(), file=sys.stderr)
        print(f"  {result.records:,} records, {result.seconds:.1f}s, http {result.http}", file=sys.stderr)
        failed += 0 if result.complete else 1
    return 0 if not failed else 3

"""`ledgerlake quarantine`: list, show and release records the build set aside."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "quarantine",
        help="list, show and release quarantined records",
        description=(
            "Records the last build could not stage or post (marts.quarantine_records), with their "
            "reason and raw key. Everything else published. A record flows again on the first build "
            "after its cause is fixed; `release` records that you fixed it and makes the next build "
            "re-evaluate it (docs/marts.md, quarantine_records)."
        ),
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser("list", help="the quarantined records, with counts per source")
    p.add_argument("--source", default=None, help="only this source (stripe, shopify, qbo, xero, …)")
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_list)

    p = verbs.add_parser("show", help="one quarantined record: its reason, release state and raw object")
    p.add_argument("key", help="quarantine key (or an unambiguous prefix of it)")
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--no-raw", action="store_true", help="do not fetch the raw object from the lake")
    p.set_defaults(func=_show)

    p = verbs.add_parser(
        "release",
        help="record that a quarantined record's cause is fixed; the next build takes it again",
        description=(
            "Record (who, when, why) that the cause of a quarantined record is fixed. The next "
            "`ledgerlake build` runs even if no raw object changed, re-evaluates the record from raw, "
            "and publishes it if it now stages; if it still fails, `list` shows it as "
            "'released, still failing'. Raw is never changed."
        ),
    )
    p.add_argument("key", help="quarantine key (or an unambiguous prefix of it)")
    p.add_argument("--note", default="", help="what was fixed (kept in the release history)")
    p.add_argument("--by", default=None, help="who (default: the current user)")
    p.add_argument("--warehouse", type=Path, default=None)
    p.set_defaults(func=_release)


def _warehouse(path: Path | None) -> Path:
    from ..config import home

    return Path(path or home() / "warehouse.duckdb")


def _list(args) -> int:
    from ..quarantine import Releases, counts_by_source, read_quarantine

    rows = read_quarantine(_warehouse(args.warehouse), args.source)
    releases = Releases.default()
    for row in rows:
        row["status"] = releases.status(row["quarantine_key"], still_quarantined=True)
        if args.json:
            print(json.dumps(row, default=str))
        else:
            print(
                f"{row['quarantine_key'][:12]}  {row['source_system']:<8} {row['entity']:<16} "
                f"{(row['source_id'] or '-'):<24} {row['status']:<24} {row['reason']}\n"
                f"{'':14}{row['raw_key']}"
            )
    current = {r["quarantine_key"] for r in rows}
    flowed = [] if args.source else releases.flowed(current)
    for key, entry in flowed:
        if not args.json:
            print(
                f"{key[:12]}  {entry['source_system']:<8} {entry['entity']:<16} {(entry['source_id'] or '-'):<24} "
                f"{'flowed':<24} released {entry['released_at']} by {entry['released_by']}"
            )
    counts = counts_by_source(rows)
    summary = ", ".join(f"{source} {n}" for source, n in sorted(counts.items())) or "none"
    print(f"{len(rows)} quarantined ({summary}); {len(flowed)} released and flowed", file=sys.stderr)
    return 0


def _find(args) -> dict | None:
    """The quarantined record KEY names (a full key or an unambiguous prefix), or None (said why)."""
    from ..quarantine import find, read_quarantine

    try:
        return find(read_quarantine(_warehouse(args.warehouse)), args.key)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return None


def _show(args) -> int:
    from ..quarantine import Releases

    row = _find(args)
    if row is None:
        return 1
    releases = Releases.default()
    for name, value in row.items():
        print(f"{name:>15}: {value if value is not None else '-'}")
    print(f"{'status':>15}: {releases.status(row['quarantine_key'], still_quarantined=True)}")
    if releases.get(row["quarantine_key"]):
        print(f"{'releases':>15}: {json.dumps(releases.get(row['quarantine_key'])['history'])}")
    if not args.no_raw:
        from ..lake import Lake

        envelope, payload = Lake().read(row["raw_key"])
        print("\nenvelope:", json.dumps(envelope, indent=1, sort_keys=True))
        print("payload:", json.dumps(payload, indent=1, sort_keys=True))
    return 0


def _release(args) -> int:
    from ..quarantine import Releases

    row = _find(args)
    if row is None:
        return 1
    entry = Releases.default().release(row, by=args.by or getpass.getuser(), note=args.note)
    print(
        f"released {row['quarantine_key']} ({row['source_system']} {row['entity']} {row['source_id'] or ''}) "
        f"at {entry['released_at']}: the next `ledgerlake build` takes it again"
    )
    return 0

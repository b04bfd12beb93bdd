"""`ledgerlake actions`: the writes write-back proposes, and a person's say on them."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

SHOWN = ("action_id", "status", "workflow", "entity_id", "system", "kind", "attempts", "why", "last_error")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "actions",
        help="list, approve, reject and run write-back actions",
        description=(
            "Write-back proposes writes to the providers (a draft invoice for a won deal without one, "
            "the ledger's payment status on HubSpot deals and companies) and writes what each "
            "workflow's mode allows (LEDGERLAKE_WRITEBACK_MODES; default dry-run). See docs/workflows.md."
        ),
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser("list", help="the actions, newest last")
    p.add_argument(
        "--status",
        default=None,
        help="only this status (dry_run, awaiting_approval, pending, applied, rejected, superseded)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_list)

    p = verbs.add_parser("show", help="one action: what it would send, why, and its audit trail")
    p.add_argument("action_id")
    p.set_defaults(func=_show)

    for verb, text in (
        ("approve", "approve an action (written on the next run when its mode is draft or auto)"),
        ("reject", "reject an action (never proposed again)"),
    ):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("action_id")
        p.add_argument("--reason", default="", help="why (kept in the audit trail)")
        p.add_argument("--by", default=None, help="who (default: the current user)")
        p.set_defaults(func=_decide, verdict=verb)

    p = verbs.add_parser("run", help="propose from the marts and write what the modes allow, now")
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--max-writes", type=int, default=None)
    p.set_defaults(func=_run)

    p = verbs.add_parser("reverse", help="void (QuickBooks) or delete the draft (Xero) of an invoice write-back made")
    p.add_argument("action_id")
    p.add_argument("--by", default=None)
    p.set_defaults(func=_reverse)


def _store():
    from ..lake import Lake
    from ..workflows import ActionStore

    return ActionStore(Lake())


def _list(args) -> int:
    actions = [a for a in _store().all() if args.status in (None, a["status"])]
    for action in actions:
        row = {k: action.get(k) for k in SHOWN}
        if args.json:
            print(json.dumps(row, default=str))
        else:
            print(
                f"{row['action_id']}  {row['status']:<17} {row['workflow']:<21} {row['entity_id'] or '-':<3} "
                f"{row['system']:<7} {row['why']}"
                + (f"\n    last error: {row['last_error']}" if row["last_error"] else "")
            )
    if not args.json:
        print(f"{len(actions)} action(s)")
    return 0


def _show(args) -> int:
    store = _store()
    action = store.get(args.action_id)
    if action is None:
        print(f"no action {args.action_id}")
        return 1
    print(json.dumps({**action, "audit": store.audit_records(args.action_id)}, indent=2, default=str))
    return 0


def _decide(args) -> int:
    from ..workflows.run import decide

    try:
        action = decide(_store(), args.action_id, args.verdict, args.by or getpass.getuser(), args.reason)
    except (KeyError, ValueError) as err:
        print(err.args[0] if err.args else err)
        return 1
    print(f"{action['action_id']}: {action['status']}")
    return 0


def _run(args) -> int:
    from ..config import home
    from ..workflows import run_writeback

    summary = run_writeback(warehouse=args.warehouse or home() / "warehouse.duckdb", max_writes=args.max_writes)
    print(json.dumps(summary.to_json(), indent=2))
    return 0 if not summary.refused else 2


def _reverse(args) -> int:
    from ..workflows.run import Writers, reverse

    try:
        action = reverse(_store(), args.action_id, args.by or getpass.getuser(), Writers())
    except (ValueError, RuntimeError) as err:
        print(err)
        return 1
    print(f"{action['action_id']}: {action['status']}")
    return 0

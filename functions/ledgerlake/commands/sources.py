"""`ledgerlake sources serve`: the local provider API server over the simulated company."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

DEFAULT_PORT = 8340


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sources",
        help="local provider APIs (Stripe, Shopify, HubSpot, QBO, Xero, Plaid)",
        description="Local servers speaking each provider's API over the simulated company.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    serve = actions.add_parser(
        "serve",
        help="serve every provider's API on one port, under /stripe, /shopify, /hubspot, /qbo, /xero, /plaid",
        description="Serve the simulation's api/{source}/{resource}.jsonl version files as each provider's "
        "API at a movable clock (POST /_control/clock, /_control/faults). Pollers reach it by setting "
        "<SOURCE>_API_BASE_URL=http://HOST:PORT/<source>. Credentials: the STRIPE_API_KEY, "
        "SHOPIFY_ACCESS_TOKEN, HUBSPOT_ACCESS_TOKEN, QBO_ACCESS_TOKEN, XERO_ACCESS_TOKEN, PLAID_SECRET, "
        "PLAID_ACCESS_TOKEN ... in the environment / local.env.",
    )
    serve.add_argument(
        "--dir", type=Path, default=None, help="simulation directory (default: $LEDGERLAKE_HOME/simulation)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    serve.add_argument(
        "--clock", default=None, help="serve the company as of this ISO time (default: the end of the simulation)"
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="switch a fault on, e.g. stripe:429, xero:5xx=3, hubspot:slow=4,2.5, plaid:mutation=1, "
        "shopify:throttle, *:5xx (repeatable; see docs/polling.md)",
    )
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=None,
        metavar="SECONDS",
        help="lifetime of the OAuth access tokens it issues (default: each provider's, "
        "3600 QBO, 1800 Xero/HubSpot); short values exercise refresh",
    )
    serve.set_defaults(func=_serve)

    status = actions.add_parser(
        "status",
        help="per source: connected or not, tenant/realm/shop, token expiry, last refresh, last poll and webhook",
        description="Connection status from the secret store (never a secret), the last successful poll "
        "(cursor saves in the lake) and the last webhook (source_health mart, as of the last build).",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=_status)


def _serve(args) -> int:
    from ..config import ensure_local_env, ensure_local_provider_credentials, home, load_local_env
    from ..progress import step
    from ..sourceapi import serve_in_thread

    sim_dir = args.dir or home() / "simulation"
    if not (sim_dir / "api").is_dir():
        print(f"no simulation at {sim_dir} (run `ledgerlake simulate` first)", file=sys.stderr)
        return 2
    ensure_local_env()
    ensure_local_provider_credentials()
    load_local_env()
    step(f"indexing {sim_dir / 'api'}")
    started = time.monotonic()
    running = serve_in_thread(
        sim_dir, clock=args.clock, host=args.host, port=args.port, faults=tuple(args.fault), token_ttl=args.token_ttl
    )
    state = running.api.describe()
    step(f"{state['versions']:,} versions indexed in {time.monotonic() - started:.1f}s; clock {state['clock']}")
    print(json.dumps(state["base_urls"], indent=1))
    print("Ctrl-C to stop", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()
    return 0


def _status(args) -> int:
    from ..connections.status import rows

    lake = None
    try:
        from ..lake import Lake

        lake = Lake()
    except Exception:  # noqa: BLE001 - no lake configured: connection columns only
        pass
    table = rows(lake)
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    columns = ("source", "connection", "account", "token_expires_at", "last_refresh", "last_poll", "last_webhook")
    widths = {c: max(len(c), *(len(str(r[c] or "-")) for r in table)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in table:
        print("  ".join(str(r[c] or "-").ljust(widths[c]) for c in columns))
    for r in table:
        if r["connection"] == "needs reconnect":
            print(
                f"\n{r['source']}: {r['error'] or 'needs reconnecting'} -> run `ledgerlake connect {r['source']}`",
                file=sys.stderr,
            )
    return 1 if any(r["connection"] == "needs reconnect" for r in table) else 0

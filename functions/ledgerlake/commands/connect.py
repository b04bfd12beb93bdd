"""`ledgerlake connect SOURCE`: connect a provider account, the way the provider documents it."""

from __future__ import annotations

import argparse
import sys

from ..connections.records import SOURCES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "connect",
        help="connect a provider account (OAuth, app install, Plaid Link, restricted key)",
        description="Connect SOURCE and store its credentials in the secret store (a 0600 file under "
        "$LEDGERLAKE_HOME/connections, or AWS Secrets Manager with LEDGERLAKE_SECRET_STORE=secretsmanager). "
        "OAuth sources print a URL to open; the browser comes back to a one-shot callback on 127.0.0.1. "
        "See docs/connect.md for the app to register per provider.",
    )
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no browser here: open the URL elsewhere and paste the URL it redirects to",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="callback port on 127.0.0.1 (default: any free port; providers that register "
        "exact redirect URIs need the registered one, e.g. 8765)",
    )
    parser.add_argument(
        "--redirect-host",
        choices=("127.0.0.1", "localhost"),
        default="127.0.0.1",
        help="host name in the redirect URI (Intuit development keys register localhost); the "
        "callback listens on 127.0.0.1 either way",
    )
    parser.add_argument("--shop", help="Shopify: the shop, NAME.myshopify.com")
    parser.add_argument("--tenant", help="Xero: the organisation (name or tenantId) when several are authorised")
    parser.add_argument(
        "--private-app", action="store_true", help="HubSpot: paste a private-app access token instead of the OAuth flow"
    )
    parser.add_argument(
        "--sandbox-institution",
        metavar="INS_ID",
        help="Plaid sandbox (or the local server): skip Link with /sandbox/public_token/create",
    )
    parser.add_argument("--replace", action="store_true", help="Plaid: replace the linked items instead of adding one")
    parser.set_defaults(func=_connect)


def _connect(args) -> int:
    from ..connections.flow import ConnectError, Prompt, connect
    from ..connections.store import store_from_env

    store = store_from_env()
    try:
        view = connect(
            args.source,
            Prompt(headless=args.headless),
            port=args.port,
            redirect_host=args.redirect_host,
            shop=args.shop,
            tenant=args.tenant,
            private_app=args.private_app,
            sandbox_institution=args.sandbox_institution,
            replace=args.replace,
            store=store,
        )
    except ConnectError as err:
        print(f"ledgerlake connect {args.source}: {err}", file=sys.stderr)
        return 2
    from ..connections.status import describe, publish

    row = describe(view, args.source)
    print(
        f"{args.source}: connected ({row['account']}); access token expires {row['token_expires_at']}; "
        f"stored in {store.describe(args.source)}"
    )
    try:
        from ..lake import Lake

        publish(Lake(), [args.source], store)
    except Exception:  # noqa: BLE001 - no lake yet: the first poll publishes the status
        pass
    print(f"next: `ledgerlake poll {args.source}` (resumes from its cursors)")
    return 0

"""`ledgerlake serve`: the webhook receiver on a local port (default 8800)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the webhook receiver locally (POST /webhooks/{source}, port 8800)",
        description=(
            "Serve the receiver Lambda's handler behind a local HTTP server: each request becomes "
            "an API Gateway HTTP API v2 event. Lands into the configured lake (the local S3 server "
            "by default). Thin pings are hydrated in-process when <SOURCE>_API_BASE_URL is set "
            "(e.g. the local provider API server), else left to the pollers. "
            "Try: stripe listen --forward-to localhost:8800/webhooks/stripe"
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8800, help="port (default 8800)")
    parser.add_argument("--workers", type=int, default=1, help="server processes sharing the port (default 1)")
    parser.set_defaults(func=_serve)


def _serve(args) -> int:
    from ..webhooks.serve import serve

    print(
        f"receiving webhooks on http://{args.host}:{args.port}/webhooks/{{stripe,shopify,hubspot,qbo,xero,plaid}} "
        f"({args.workers} worker{'s' if args.workers != 1 else ''}); Ctrl-C to stop",
        flush=True,
    )
    serve(args.host, args.port, workers=args.workers)
    return 0

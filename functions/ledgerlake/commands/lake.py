"""`ledgerlake lake start|stop|status`: the local S3 server."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "lake",
        help="start, stop or inspect the local S3 server (SeaweedFS)",
        description="Manage the local S3 server that holds the lake during `make demo`.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser(
        "start",
        help="start the server (or reuse the running one) and create the buckets",
        description="Start SeaweedFS on 127.0.0.1:8333 and create the raw and marts buckets.",
    ).set_defaults(func=_start)
    actions.add_parser(
        "stop",
        help="stop the server this home started",
        description="Stop the local S3 server; its data stays on disk.",
    ).set_defaults(func=_stop)
    actions.add_parser(
        "status",
        help="is it running, where, and how many raw objects per source",
        description="Show the server's state and the raw object count per source.",
    ).set_defaults(func=_status)


def _start(args) -> int:
    from ..lakeserver import start

    st = start()
    print(f"lake running at {st.endpoint} (pid {st.pid}, data in {st.data_dir})")
    return 0


def _stop(args) -> int:
    from ..lakeserver import stop

    print("lake stopped" if stop() else "lake was not running")
    return 0


def _status(args) -> int:
    from collections import Counter

    from ..lake import Lake
    from ..lakeserver import status

    st = status()
    if not st.running:
        print(f"lake not running (endpoint {st.endpoint})")
        return 1
    print(f"lake running at {st.endpoint} (pid {st.pid}, data in {st.data_dir})")
    counts = Counter(key.split("/")[1].removeprefix("source=") for key in Lake().keys("raw/"))
    for source, n in sorted(counts.items()):
        print(f"  {source:10s} {n:>9,d} raw objects")
    if not counts:
        print("  (no raw objects yet)")
    return 0

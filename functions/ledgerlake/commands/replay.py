"""`ledgerlake replay --to URL`: send the simulated company's webhooks to a receiver."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay",
        help="send the simulated company's webhook deliveries, signed, to a receiver URL",
        description=(
            "POST every delivery in DIR/webhooks/{source}.jsonl to URL + its path (/webhooks/{source}), "
            "signed at send time with the configured secrets as each provider signs. With "
            "--duplicates (the default) each delivery goes 1-3 times and the order is shuffled, "
            "as providers do."
        ),
    )
    parser.add_argument("--to", required=True, help="receiver base URL, e.g. http://127.0.0.1:8800")
    parser.add_argument(
        "--dir", type=Path, default=None, help="simulation directory (default: $LEDGERLAKE_HOME/simulation)"
    )
    dup = parser.add_mutually_exclusive_group()
    dup.add_argument(
        "--duplicates",
        dest="duplicates",
        action="store_true",
        default=True,
        help="send each delivery 1-3 times, shuffled (default)",
    )
    dup.add_argument(
        "--no-duplicates", dest="duplicates", action="store_false", help="send each delivery once, in file order"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for duplicates and order (default: random)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent senders (default 8)")
    parser.add_argument("--source", action="append", default=None, help="only this source (repeatable)")
    parser.set_defaults(func=_replay)


def _replay(args) -> int:
    import sys

    from ..config import home
    from ..progress import Progress, step
    from ..webhooks.registry import SOURCES
    from ..webhooks.replay import read_deliveries, replay_http

    sim_dir = args.dir or home() / "simulation"
    if not (sim_dir / "webhooks").is_dir():
        print(f"no deliveries under {sim_dir}/webhooks (run `ledgerlake simulate` or pass --dir)", file=sys.stderr)
        return 2
    sources = args.source or list(SOURCES)
    unknown = set(sources) - set(SOURCES)
    if unknown:
        print(f"unknown source(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    step(f"replaying {sim_dir}/webhooks to {args.to}")
    total = sum(1 for _ in read_deliveries(sim_dir, sources))
    with Progress("deliveries", total=None if args.duplicates else total) as progress:
        report = replay_http(
            sim_dir,
            args.to,
            duplicates=args.duplicates,
            seed=args.seed,
            workers=args.workers,
            sources=sources,
            progress=progress,
        )
    print(report.summary())
    for failure in report.failures:
        print(f"  {failure}", file=sys.stderr)
    return 0 if report.ok else 1

"""`ledgerlake simulate`: generate the simulated company (webhooks, API resources, truth)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ..config import home
from ..progress import Progress, step


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="generate the simulated company (Northwind US on QBO, Northwind UK on Xero, "
        "HubSpot, Stripe, Shopify, Plaid) with planted problems and ground truth",
        description="Write DIR/manifest.json, DIR/webhooks/{source}.jsonl, DIR/api/{source}/{resource}.jsonl, "
        "DIR/reference/fx_rates.csv and DIR/truth/*. Same seed, same bytes.",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--months", type=int, default=18, help="months to simulate (default 18)")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1 = a small company)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2025, 5, 1),
        help="first simulated day, YYYY-MM-DD (default 2025-05-01)",
    )
    parser.add_argument(
        "--fiscal-year-start-month", type=int, default=4, help="first month of the fiscal year (default 4 = April)"
    )
    parser.add_argument("--out", type=Path, default=None, help="output directory (default $LEDGERLAKE_HOME/simulation)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..simulate import generate
    from ..simulate.util import add_months

    out = args.out or home() / "simulation"
    end = add_months(args.start, args.months)
    total_days = (end - args.start).days
    step(f"simulating {args.months} months from {args.start} at scale {args.scale:g} (seed {args.seed}) into {out}")
    with Progress("simulated days", total=total_days) as progress:
        generate(
            out,
            seed=args.seed,
            months=args.months,
            scale=args.scale,
            start=args.start,
            fiscal_year_start_month=args.fiscal_year_start_month,
            on_day=lambda _day: progress.advance(),
        )
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    for key, count in manifest["files"].items():
        print(f"{count:>10,}  {key}")
    print(f"{manifest['problems']:>10}  planted problems (truth/problems.json)")
    return 0

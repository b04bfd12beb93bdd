"""`ledgerlake run`: the whole pipeline, headless, on the simulated company."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run the whole pipeline headless on the simulated company",
        description=(
            "Generate the simulated company (once), land it in the lake through the webhook "
            "receiver and the pollers, build the marts, forecast and raise alerts. Idempotent: "
            "running it again changes nothing."
        ),
    )
    parser.add_argument(
        "--sim-dir", type=Path, default=None, help="simulation directory (default: $LEDGERLAKE_HOME/simulation)"
    )
    parser.add_argument("--seed", type=int, default=42, help="simulation seed when generating (default 42)")
    parser.add_argument("--months", type=int, default=18, help="months of history when generating (default 18)")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier when generating (default 1)")
    parser.add_argument("--steps", default=None, help="comma-separated subset of steps to run")
    parser.add_argument(
        "--no-start-lake", action="store_true", help="do not start the local S3 server if it is not running"
    )
    parser.set_defaults(func=_run)


def _run(args) -> int:
    from ..pipeline import RunOptions, default_sim_dir, run

    if not args.no_start_lake:
        ensure_local_lake()
    results = run(
        RunOptions(
            sim_dir=(args.sim_dir or default_sim_dir()).resolve(),
            seed=args.seed,
            months=args.months,
            scale=args.scale,
            steps=args.steps.split(",") if args.steps else None,
        )
    )
    print("\npipeline summary")
    for r in results:
        print(f"  {r.name:12s} {r.status:8s} {r.seconds:7.1f}s  {r.detail}")
    return 0


def ensure_local_lake() -> None:
    """Start the local S3 server when the lake endpoint is the local default."""
    from ..config import LOCAL_S3_PORT, Settings, ensure_local_env, load_local_env

    ensure_local_env()
    load_local_env()
    if Settings.from_env().s3_endpoint == f"http://127.0.0.1:{LOCAL_S3_PORT}":
        from ..lakeserver import start

        start()

"""`ledgerlake demo`: what `make demo` runs — lake, simulation, pipeline, dashboard."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        help="start the local lake, run the pipeline on the simulated company, serve the dashboard",
        description=(
            "Start the local S3 server (or reuse it), generate the simulated company (once), run the "
            "whole pipeline headless, then serve the dashboard on http://localhost:8501 until Ctrl-C, "
            "which stops everything this command started."
        ),
    )
    parser.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    parser.add_argument("--seed", type=int, default=42, help="simulation seed (default 42)")
    parser.add_argument("--scale", type=float, default=1.0, help="simulation volume (default 1)")
    parser.set_defaults(func=_demo)


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _demo(args) -> int:
    import signal
    import sys

    from .. import lakeserver
    from ..pipeline import RunOptions, default_sim_dir, run
    from .dashboard import raise_interrupt, serve, stop
    from .run import ensure_local_lake

    # Say so before the pipeline's minutes, not after them.
    if _port_taken(args.port):
        print(
            f"ledgerlake demo: port {args.port} is in use (another dashboard or demo?); stop it, "
            f"or choose another port: ledgerlake demo --port {args.port + 1}",
            file=sys.stderr,
        )
        return 2
    # Ctrl-C (SIGINT) and a plain `kill` (SIGTERM) both end the demo through the same
    # clean-up, even when SIGINT was inherited as ignored (started from a script).
    signal.signal(signal.SIGINT, raise_interrupt)
    signal.signal(signal.SIGTERM, raise_interrupt)
    lake_was_running = lakeserver.status().running
    ensure_local_lake()
    proc = None
    status = 0
    try:
        results = run(RunOptions(sim_dir=default_sim_dir(), seed=args.seed, scale=args.scale))
        for r in results:
            print(f"  {r.name:12s} {r.status:8s} {r.seconds:7.1f}s  {r.detail}")
        proc = serve(args.port)
        print(f"\nledgerlake demo: dashboard on http://localhost:{args.port} — Ctrl-C stops it all", flush=True)
        status = proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if proc is not None:
            stop(proc)
        if not lake_was_running:
            lakeserver.stop()
            print(f"local lake stopped (data kept in {lakeserver.lake_dir()})")
    return status

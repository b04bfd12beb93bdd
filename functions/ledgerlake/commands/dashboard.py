"""`ledgerlake dashboard`: serve the Streamlit dashboard (bound to 127.0.0.1 locally)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
APP = REPO / "dashboard" / "app.py"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dashboard",
        help="serve the CFO dashboard on http://localhost:8501",
        description="Serve the Streamlit dashboard over the marts (the warehouse file or the Parquet marts).",
    )
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.set_defaults(func=_dashboard)


def streamlit_command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]


def serve(port: int = 8501, address: str = "127.0.0.1") -> subprocess.Popen:
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return subprocess.Popen(streamlit_command(port, address), env=env)


def _dashboard(args) -> int:
    proc = serve(args.port, args.address)
    print(f"dashboard on http://localhost:{args.port} (Ctrl-C to stop)")
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return 0

"""`ledgerlake dashboard`: serve the Streamlit dashboard (bound to 127.0.0.1 locally).

The server runs in a child process, `python -m ledgerlake.commands.dashboard <streamlit run
options>`: Streamlit's own `streamlit run`, preceded by the pages' heavy imports (`PRELOAD`)
and followed by one headless visit to the Overview as soon as it listens (`warm_up`). Why:
the first session of a fresh Streamlit server paid for importing polars, Altair, pyarrow,
pandas, boto3 and DuckDB and for the Overview's queries (1.5-3 s on 2 cores,
docs/benchmarks.md "Dashboard"); now the server pays it before anyone opens the page, so the
first person gets what every later visitor gets. The server prints `READY_LINE` once the
warm-up is done.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
APP = REPO / "dashboard" / "app.py"
READY_LINE = "ledgerlake dashboard: ready"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "dashboard",
        help="serve the CFO dashboard on http://localhost:8501",
        description="Serve the Streamlit dashboard over the marts (the warehouse file or the Parquet marts).",
    )
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1); any other address needs [auth] "
        "in .streamlit/secrets.toml, or --no-auth",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="serve a non-loopback --address without login (only behind something "
        "else that authenticates: a VPN, an authenticating proxy)",
    )
    parser.set_defaults(func=_dashboard)


def refusal(address: str, no_auth: bool = False) -> str | None:
    """Why the dashboard must not start as asked, or None. Fails closed: a broken [auth]
    refuses outright; no login on an address others can reach refuses unless --no-auth."""
    from ..dashboard_auth import AuthMisconfigured, configured, deployment_mode, is_loopback

    try:
        if deployment_mode() == "alb":  # every session checks the load balancer's signed sign-in
            return None
        auth = configured()
    except AuthMisconfigured as err:
        return str(err)
    if not auth.required and not is_loopback(address) and not no_auth:
        return (
            f"refusing to serve the company's numbers on {address} without login: configure [auth] in "
            ".streamlit/secrets.toml (docs/dashboard.md), bind 127.0.0.1, or pass --no-auth if "
            "something in front of it authenticates"
        )
    return None


def streamlit_command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable,
        "-m",
        "ledgerlake.commands.dashboard",
        str(APP),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Nobody edits the pages of a running dashboard: no file watcher thread competing
        # with the first render for the CPU (and no reload on a stray file change).
        "--server.fileWatcherType",
        "none",
        # The people reading it are not developing it: no Deploy button or cache menu.
        "--client.toolbarMode",
        "viewer",
    ]


def serve(port: int = 8501, address: str = "127.0.0.1") -> subprocess.Popen:
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return subprocess.Popen(streamlit_command(port, address), env=env)


def raise_interrupt(signum, frame):
    """Signal handler: end like Ctrl-C, through the caller's clean-up."""
    raise KeyboardInterrupt


def _dashboard(args) -> int:
    import signal

    # A plain `kill` (SIGTERM) stops the server too, as Ctrl-C does, instead of leaving it
    # running without its parent.
    reason = refusal(args.address, args.no_auth)
    if reason:
        print(f"ledgerlake dashboard: {reason}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, raise_interrupt)
    proc = serve(args.port, args.address)
    print(f"dashboard on http://localhost:{args.port} (Ctrl-C to stop); it says when it is ready", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        stop(proc)
        return 0


def stop(proc: subprocess.Popen) -> None:
    """Stop a served dashboard: SIGTERM (Streamlit shuts down cleanly), SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the server process ---------------------------------------------------------------


def warm_up(port: int, host: str = "127.0.0.1", timeout: float = 120.0) -> float:
    """Open one session on the local server the way a browser does (Streamlit's websocket,
    a `rerun_script` request for the default page) and wait until the script has finished.
    Returns the seconds it took.

    The session runs in this server process, so what it imports and caches (the modules,
    `st.cache_data` results, the Marts connection) is there for the first real visitor.
    It is a visit like any other: it reads the marts, writes nothing.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    deadline = time.monotonic() + timeout
    while True:  # the server binds its port a moment after this thread starts
        try:
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dashboard did not listen on {port}") from None
            time.sleep(0.05)
    started = time.monotonic()
    with connect(f"ws://{host}:{port}/_stcore/stream", subprotocols=["streamlit"], open_timeout=timeout) as ws:
        request = BackMsg()
        request.rerun_script.page_script_hash = ""  # the default page: the Overview
        ws.send(request.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(deadline - time.monotonic(), 1)))
            if msg.WhichOneof("type") == "script_finished":
                return time.monotonic() - started


def _warm_up_and_announce(port: int, host: str) -> None:
    try:
        seconds = warm_up(port, host)
        print(f"{READY_LINE} (the Overview ran once in {seconds:.1f}s: imports and caches warm)", flush=True)
    except Exception as err:  # noqa: BLE001 - never take the server down: it serves, only colder
        print(f"{READY_LINE} (warm-up failed: {err!r}; the first visit will be slower)", flush=True)


# What the pages import, imported once in the main thread before the server listens. Two
# sessions importing pandas at the same moment (the warm-up and an early visitor) can see
# it half-initialised ("partially initialized module 'pandas' has no attribute
# 'Timestamp'"), so nothing heavy may be left for the sessions to import concurrently.
PRELOAD = ("pandas", "pyarrow", "polars", "altair", "duckdb", "boto3", "ledgerlake.dashboard_data")


def _server_main(argv: list[str]) -> int:
    """`streamlit run <argv>` in this process: the heavy imports first, then the server,
    with the warm-up visit on a side thread."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from streamlit.web import cli

    port = int(argv[argv.index("--server.port") + 1]) if "--server.port" in argv else 8501
    address = argv[argv.index("--server.address") + 1] if "--server.address" in argv else ""
    host = "127.0.0.1" if address in ("", "0.0.0.0", "::") else address  # a wildcard bind answers on loopback
    threading.Thread(target=_warm_up_and_announce, args=(port, host), name="warm-up", daemon=True).start()
    # Streamlit's own CLI, as `python -m streamlit run` would run it (its signal handling
    # included: SIGTERM and Ctrl-C stop the server cleanly).
    return cli.main(["run", *argv], prog_name="streamlit", standalone_mode=True)


if __name__ == "__main__":
    sys.exit(_server_main(sys.argv[1:]))

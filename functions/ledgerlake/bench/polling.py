"""Polling benchmarks: records/s landed per source from the local API server, and how a
full poll grows from scale 1 to scale 10.

    python -m ledgerlake.bench.polling [--scales 1,10] [--months 18] [--s3 moto-process|local|moto] [--quick]

For each scale: generate the simulated company (seed 7), serve it with the local API
server, poll every source from empty into a fresh raw bucket, and count the records on
the pages landed. Two figures per source:

* landed: the real path, pages landed on S3 (moto in its own process by default; the
  local SeaweedFS with `--s3 local`), cursors saved after the pages they cover;
* API only: the same poll with an in-memory lake, i.e. what the server plus the poller
  sustain when S3 is not the bottleneck.

Writes its section (`## polling`) of docs/benchmarks.md and prints it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from . import write_section as replace_section

SOURCES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")
SECTION = "polling"


class _MemoryS3:
    """Just enough of an S3 client for Lake.land / CursorStore, kept in a dict."""

    def __init__(self):
        from botocore.exceptions import ClientError

        self.objects: dict[str, bytes] = {}
        self._error = ClientError

    def _missing(self, op):
        return self._error({"Error": {"Code": "NoSuchKey", "Message": "missing"}}, op)

    def head_object(self, Bucket, Key):  # noqa: N803 - boto3's spelling
        if Key not in self.objects:
            raise self._error({"Error": {"Code": "404", "Message": "missing"}}, "HeadObject")
        return {}

    def put_object(self, Bucket, Key, Body, **_):  # noqa: N803
        self.objects[Key] = Body

    def get_object(self, Bucket, Key):  # noqa: N803
        import io

        if Key not in self.objects:
            raise self._missing("GetObject")
        return {"Body": io.BytesIO(self.objects[Key])}


def _poll_all(providers, lake) -> dict[str, dict]:
    from ..polling import poll_source

    out = {}
    for source in SOURCES:
        result = poll_source(source, lake=lake, base_url=providers.base_urls[source], credentials=providers.credentials)
        if not result.complete:
            raise RuntimeError(f"{source} did not complete: {result.summary()}")
        out[source] = {
            "records": result.records,
            "pages": result.pages_landed,
            "seconds": result.seconds,
            "requests": result.http["requests"],
        }
    return out


def measure(scale: float, months: int, work: Path, s3_env: dict) -> dict:
    from ..lake import Lake
    from ..simulate import generate
    from ..sourceapi import serve_in_thread

    sim = work / f"sim-{scale:g}"
    started = time.monotonic()
    if not (sim / "api").is_dir():
        generate(sim, seed=7, months=months, scale=scale)
    generated = time.monotonic() - started
    started = time.monotonic()
    providers = serve_in_thread(sim)
    indexed = time.monotonic() - started
    versions = providers.api.store.record_count()
    try:
        from ..config import Settings

        memory = _poll_all(providers, Lake(Settings.from_env(), client=_MemoryS3()))
        os.environ.update(s3_env)
        os.environ["LEDGERLAKE_RAW_BUCKET"] = f"bench-poll-{uuid.uuid4().hex[:8]}"
        lake = Lake()
        lake.ensure_buckets()
        landed = _poll_all(providers, lake)
    finally:
        providers.stop()
    return {
        "scale": scale,
        "versions": versions,
        "generate_s": generated,
        "index_s": indexed,
        "memory": memory,
        "landed": landed,
    }


S3_KINDS = {"local": "local SeaweedFS", "moto": "moto server (in-process)"}


def render(runs: list[dict], s3_kind: str, months: int) -> str:
    lines = [
        (
            f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}; "
            f"simulated company seed 7, {months} months; S3 = {S3_KINDS.get(s3_kind, 'moto server (own process)')} "
            f"(`python -m ledgerlake.bench.polling --s3 {s3_kind}`). Each poll runs from empty cursors to "
            "complete against `ledgerlake sources serve` (in-process thread, real HTTP on 127.0.0.1). "
            "Records = objects on the landed pages (Stripe counts balance transactions again on their "
            "`payout=` pages). Target: >= 1,000 records/s per source at scale 10."
        ),
        "",
        (
            "| scale | source | records | pages | landed on S3: s | records/s "
            "| API only (in-memory lake): s | records/s |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for source in SOURCES:
            got, mem = run["landed"][source], run["memory"][source]
            lines.append(
                f"| {run['scale']:g} | {source} | {got['records']:,} | {got['pages']:,} | {got['seconds']:.1f} | "
                f"{got['records'] / max(got['seconds'], 1e-9):,.0f} | {mem['seconds']:.2f} | "
                f"{mem['records'] / max(mem['seconds'], 1e-9):,.0f} |"
            )
        total = sum(run["landed"][s]["seconds"] for s in SOURCES)
        records = sum(run["landed"][s]["records"] for s in SOURCES)
        lines.append(
            f"| {run['scale']:g} | **all** | {records:,} | | {total:.1f} | {records / total:,.0f} | "
            f"{sum(run['memory'][s]['seconds'] for s in SOURCES):.2f} | |"
        )
    if len(runs) >= 2:
        a, b = runs[0], runs[-1]
        ta = sum(a["landed"][s]["seconds"] for s in SOURCES)
        tb = sum(b["landed"][s]["seconds"] for s in SOURCES)
        ra = sum(a["landed"][s]["records"] for s in SOURCES)
        rb = sum(b["landed"][s]["records"] for s in SOURCES)
        lines += [
            "",
            (
                f"Growth from scale {a['scale']:g} to {b['scale']:g}: records x{rb / ra:.1f}, "
                f"full-poll time x{tb / ta:.1f} ({ta:.0f} s -> {tb:.0f} s); the server indexes "
                f"{a['versions']:,} -> {b['versions']:,} versions in {a['index_s']:.1f} s "
                f"-> {b['index_s']:.1f} s."
            ),
        ]
    return "\n".join(lines) + "\n"


def write_section(body: str, path: Path = Path("docs/benchmarks.md")) -> None:
    replace_section(path, f"## {SECTION}", body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledgerlake.bench.polling", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument(
        "--s3",
        choices=["local", "moto", "moto-process"],
        default="moto-process",
        help="local SeaweedFS (needs port 8333 free), moto in-process, or moto in its own process",
    )
    parser.add_argument("--work", type=Path, default=None, help="keep generated companies here (reused if present)")
    parser.add_argument("--quick", action="store_true", help="scale 0.2, 3 months, moto (a smoke run; not written)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.scales, args.months, args.s3, args.no_write = "0.2", 3, "moto", True
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from .webhooks import _s3 as shared_s3_server  # one home for "start a private S3 for a benchmark"

    def s3_server(kind, home):
        if kind != "moto-process":
            return shared_s3_server(kind, home)
        # moto in its own process: in-process it shares the GIL with the API server and the
        # poller, and the figure would measure that contention rather than the poller.
        import socket
        import subprocess

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        env = {
            "LEDGERLAKE_S3_ENDPOINT": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
        }
        return env, lambda: (proc.terminate(), proc.wait(timeout=10))

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        home = Path(tmp) / "home"
        home.mkdir()
        s3_env, stop = s3_server(args.s3, str(home))
        try:
            runs = [measure(float(s), args.months, work, s3_env) for s in args.scales.split(",")]
        finally:
            stop()
    body = render(runs, args.s3, args.months)
    print(body)
    if not args.no_write:
        write_section(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

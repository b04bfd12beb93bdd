"""Transform benchmarks: full and incremental build time and peak memory per scale.

    python -m ledgerlake.bench transforms                 # scales 1, 10, 100
    python -m ledgerlake.bench transforms --quick         # scale 1 only
    python -m ledgerlake.bench transforms --scales 1,10 --months 18

Per scale: generate the simulated company (`ledgerlake.simulate.generate`, seed 7), start a
moto S3 server in its own process, land the company *as it stood one day before its end*
through the real paths (`ledgerlake.landing.land_simulation`: webhooks through the
receiver with hydration against the local provider API, then the pollers), run a full
build, land the last day the same way, run an incremental build. Each build runs in a
fresh process so its peak RSS is its own. Reports landing time, build time split into
compaction (reading the raw lake: one GET per new raw object), dbt and Parquet export,
and peak RSS. Writes `## transforms` in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

_BUILD = r"""
import json, resource, sys, time
from ledgerlake.transform import build
t0 = time.monotonic()
r = build(stream=None, full_refresh=sys.argv[1] == "full")
print(json.dumps({"ok": r.success, "failures": r.failures[:5], "seconds": round(time.monotonic() - t0, 1),
                  "compaction": round(r.compaction_seconds, 1), "dbt": round(r.dbt_seconds, 1),
                  "export": round(r.export_seconds, 1), "new_raw": r.new_raw_objects, "raw": r.total_raw_objects,
                  "models": r.models, "tests": r.tests,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto(port: int) -> subprocess.Popen:
    code = ("import logging, time\nlogging.getLogger('werkzeug').setLevel(logging.WARNING)\n"
            "from moto.server import ThreadedMotoServer\n"
            f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); s.start()\n"
            "while True: time.sleep(3600)\n")
    log = open(os.path.join(tempfile.gettempdir(), f"ledgerlake-bench-moto-{port}.log"), "w")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("moto server did not start")


def _build(kind: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _BUILD, kind], env=env, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"build failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])


def run_scale(scale: float, months: int, work: Path, workers: int) -> dict:
    from ..lake import Lake
    from ..simulate import generate
    from ..landing import land_simulation

    sim = work / f"sim-{scale:g}"
    t0 = time.monotonic()
    generate(sim, seed=7, months=months, scale=scale)
    generated = time.monotonic() - t0
    manifest = json.loads((sim / "manifest.json").read_text())
    end = datetime.fromisoformat(manifest["end"]).replace(tzinfo=timezone.utc)
    port = _free_port()
    moto = _moto(port)
    suffix = f"{scale:g}".replace(".", "-")
    env = dict(os.environ, LEDGERLAKE_S3_ENDPOINT=f"http://127.0.0.1:{port}", LEDGERLAKE_RAW_BUCKET=f"bench-raw-{suffix}",
               LEDGERLAKE_MARTS_BUCKET=f"bench-marts-{suffix}", LEDGERLAKE_HOME=str(work / f"home-{suffix}"),
               AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID", "bench"),
               AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY", "bench-secret"),
               AWS_REGION="us-east-1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    for name, value in {"STRIPE_WEBHOOK_SECRET": "whsec_bench", "SHOPIFY_WEBHOOK_SECRET": "bench-shopify",
                        "HUBSPOT_CLIENT_SECRET": "bench-hubspot", "QBO_WEBHOOK_VERIFIER_TOKEN": "bench-qbo",
                        "XERO_WEBHOOK_KEY": "bench-xero"}.items():
        env.setdefault(name, value)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        lake = Lake()
        lake.ensure_buckets()
        day_before = end - timedelta(seconds=1)  # through the second-last day
        first = land_simulation(sim, lake, until=day_before, workers=workers)
        full = _build("full", env)
        last = land_simulation(sim, lake, until=end + timedelta(hours=23, minutes=59, seconds=59), after=day_before,
                               workers=workers)
        incremental = _build("incremental", env)
        again = _build("incremental", env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        moto.kill()
        moto.wait()
    return {"scale": scale, "months": months, "generate_s": round(generated, 1),
            "landing_s": round(first.seconds, 1), "landing": first.summary(),
            "last_day_landing_s": round(last.seconds, 1), "full": full, "incremental": incremental,
            "no_change": again}


def markdown(results: list[dict], note: str = "") -> str:
    lines = [
        "## transforms",
        "",
        f"Measured with `python -m ledgerlake.bench transforms` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores), moto S3 in its own process, {datetime.now(timezone.utc):%Y-%m-%d}. "
        "Each company is landed through the real paths (receiver + hydration, pollers) up to its "
        "second-last day, built in full, then its last day is landed and built incrementally. "
        "*compaction* is the time spent reading the raw lake (one GET per new raw object, then one "
        "Parquet file per entity); *dbt* reads only the compacted Parquet. Targets: scale 1 full < 60 s, "
        "incremental < 20 s, scale 100 full < 10 min and < 4 GiB.",
        "",
        "| scale | raw objects | landing | full build | (compaction / dbt / export) | peak RSS | "
        "one more day: new objects | incremental | (compaction / dbt / export) | no change |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    def ok(b: dict) -> str:
        return "" if b["ok"] else " (FAILED: " + (b["failures"][0].split(":")[0] if b["failures"] else "?") + ")"

    for r in results:
        f, i, n = r["full"], r["incremental"], r["no_change"]
        lines.append(
            f"| {r['scale']:g} | {f['raw']:,} | {r['landing_s']:.0f} s | **{f['seconds']:.1f} s**{ok(f)} | "
            f"{f['compaction']:.1f} / {f['dbt']:.1f} / {f['export']:.1f} | {f['rss_mb']:,} MB | "
            f"{i['new_raw']:,} | **{i['seconds']:.1f} s**{ok(i)} | {i['compaction']:.1f} / {i['dbt']:.1f} / "
            f"{i['export']:.1f} | {n['seconds']:.1f} s{ok(n)} |")
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def write_section(text: str, doc: Path) -> None:
    body = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = re.compile(r"^## transforms\n.*?(?=^## |\Z)", re.S | re.M)
    if section.search(body):
        body = section.sub(lambda _: text.rstrip() + "\n\n", body)
    else:
        body = body.rstrip() + "\n\n" + text.rstrip() + "\n"
    doc.write_text(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledgerlake.bench transforms", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales (default 1,10,100)")
    parser.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    parser.add_argument("--workers", type=int, default=16, help="webhook delivery threads while landing")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory(prefix="ledgerlake-bench-transforms-") as work:
        for scale in scales:
            print(f"transforms bench: scale {scale:g} ...", file=sys.stderr, flush=True)
            result = run_scale(scale, args.months, Path(work), args.workers)
            print(json.dumps(result), file=sys.stderr, flush=True)
            results.append(result)
    text = markdown(results)
    print(text)
    if not args.no_write:
        write_section(text, args.doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

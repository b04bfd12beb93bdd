"""Transform benchmarks: full and incremental build time and peak memory per scale.

    python -m ledgerlake.bench transforms                 # scales 1, 10, 100
    python -m ledgerlake.bench transforms --quick         # scale 1 only
    python -m ledgerlake.bench transforms --scales 1,10 --months 18

Per scale: generate the simulated company (`ledgerlake.simulate.generate`, seed 7), start an
S3 server (SeaweedFS, the demo's, by default; `--server moto` for moto in its own process),
land the company *as it stood one day before its end* through the real paths
(`ledgerlake.landing.land_simulation`: webhooks through the receiver with hydration against
the local provider API, then the pollers), then build:

* cold: the lake's first build (every raw object is new: compaction reads them all);
* full: `--full-refresh`, every model rebuilt from scratch from the compacted lake;
* incremental: after landing the last day the same way;
* no change: once more with nothing new.

Each build runs in a fresh process so its peak RSS is its own. Reports landing time, build
time split into compaction (reading the raw lake: one GET per new raw object), dbt and
Parquet export, and peak RSS. Writes its table under `## transforms` in docs/benchmarks.md, as the
section's generated "Latest `make bench` run" (the analysis around it is written by hand).
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# Peak RSS of this process alone: VmHWM, not ru_maxrss, which on Linux keeps the parent's
# resident size from before exec (the landing process is GBs at scale 10).
_PEAK_RSS = r"""
def peak_rss_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
"""

_BUILD = (
    _PEAK_RSS
    + r"""
import json, sys, time
from ledgerlake.transform import build
t0 = time.monotonic()
# cold: the lake's first build (every raw object is new: compaction reads them all);
# full: --full-refresh (every model rebuilt from the compacted lake); incremental: a plain build
r = build(stream=None, full_refresh=sys.argv[1] in ("full", "recompact"), recompact=sys.argv[1] == "recompact")
print(json.dumps({"ok": r.success, "failures": r.failures[:5], "seconds": round(time.monotonic() - t0, 1),
                  "compaction": round(r.compaction_seconds, 1), "dbt": round(r.dbt_seconds, 1),
                  "export": round(r.export_seconds, 1), "new_raw": r.new_raw_objects, "raw": r.total_raw_objects,
                  "models": r.models, "tests": r.tests,
                  "rss_mb": peak_rss_mb()}))
"""
)

# dbt alone over a compacted mirror (no compaction, no export): the replicated-lake run.
_DBT_ONLY = (
    _PEAK_RSS
    + r"""
import json, sys, time
from ledgerlake.config import Settings, load_local_env
from ledgerlake.transform.runner import run_dbt
load_local_env()
t0 = time.monotonic()
project = __import__("pathlib").Path(sys.argv[1])
ok, progress = run_dbt(["build", "--full-refresh"], Settings.from_env(), project, stream=None)
print(json.dumps({"ok": ok, "failures": progress.failures[:5], "seconds": round(time.monotonic() - t0, 1),
                  "models": progress.models, "tests": progress.tests,
                  "rss_mb": peak_rss_mb()}))
"""
)


def replicated_build(home: Path, copies: int) -> dict:
    """dbt --full-refresh over `copies` copies of a landed lake's compacted Parquet.

    Every raw object then arrives `copies` times (what a lake whose objects were all
    redelivered looks like): staging reads and parses `copies` times the raw volume and its
    dedupe keeps one version, so the downstream models see the original company. It is the
    raw-reading half of a `copies`-times bigger lake, measured where landing one through the
    real paths would take hours here.
    """
    from .. import lakeserver

    mirror = home / "compacted"
    replica = home / f"compacted-x{copies}"
    if not replica.exists():
        for part in mirror.rglob("*.parquet"):
            target_dir = replica / part.parent.relative_to(mirror)
            target_dir.mkdir(parents=True, exist_ok=True)
            for i in range(copies):
                (target_dir / f"copy{i:03d}-{part.name}").hardlink_to(part)
    objects = sum(1 for _ in mirror.rglob("*.parquet"))
    saved = dict(os.environ)
    os.environ.update(_scale_env(home))
    try:
        lakeserver.start()  # the FX reference file is read from the lake
        env = dict(os.environ, LEDGERLAKE_COMPACTED_DIR=str(replica), LEDGERLAKE_DBT_SCRATCH=str(home / "dbt-replica"))
        out = subprocess.run(
            [sys.executable, "-c", _DBT_ONLY, str(home / f"replica-x{copies}.duckdb")],
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        lakeserver.stop()
        os.environ.clear()
        os.environ.update(saved)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"replicated build failed: {out.stderr[-2000:]}")
    return dict(json.loads(lines[-1]), copies=copies, parts=objects)


def _home(work: Path, scale: float) -> Path:
    return work / ("home-" + f"{scale:g}".replace(".", "-"))


def _scale_env(home: Path) -> dict[str, str]:
    """A scale's lake: its home and its own buckets (named after the home)."""
    suffix = home.name.removeprefix("home-")
    return {
        "LEDGERLAKE_HOME": str(home),
        "LEDGERLAKE_RAW_BUCKET": f"bench-raw-{suffix}",
        "LEDGERLAKE_MARTS_BUCKET": f"bench-marts-{suffix}",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto(port: int) -> subprocess.Popen:
    code = (
        "import logging, time\nlogging.getLogger('werkzeug').setLevel(logging.WARNING)\n"
        "from moto.server import ThreadedMotoServer\n"
        f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); s.start()\n"
        "while True: time.sleep(3600)\n"
    )
    log = open(os.path.join(tempfile.gettempdir(), f"ledgerlake-bench-moto-{port}.log"), "w")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # importing moto takes over 30 s on a loaded shared machine
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


def _secrets(env: dict) -> None:
    for name, value in {
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "SHOPIFY_WEBHOOK_SECRET": "bench-shopify",
        "HUBSPOT_CLIENT_SECRET": "bench-hubspot",
        "QBO_WEBHOOK_VERIFIER_TOKEN": "bench-qbo",
        "XERO_WEBHOOK_KEY": "bench-xero",
    }.items():
        env.setdefault(name, value)


def run_scale(scale: float, months: int, work: Path, workers: int, server: str = "seaweedfs") -> dict:
    from ..lake import Lake
    from ..landing import land_simulation
    from ..simulate import generate

    sim = work / f"sim-{scale:g}"
    t0 = time.monotonic()
    generate(sim, seed=7, months=months, scale=scale)
    generated = time.monotonic() - t0
    manifest = json.loads((sim / "manifest.json").read_text())
    end = datetime.fromisoformat(manifest["end"]).replace(tzinfo=UTC)
    env = dict(os.environ, **_scale_env(_home(work, scale)), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    _secrets(env)
    moto = None
    if server == "moto":
        port = _free_port()
        moto = _moto(port)
        env.update(
            LEDGERLAKE_S3_ENDPOINT=f"http://127.0.0.1:{port}",
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID", "bench"),
            AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY", "bench-secret"),
        )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        if server == "seaweedfs":
            # The demo's S3 server (a real, disk-backed one): its listings cost what S3's do,
            # where moto scans the whole bucket per LIST page.
            from .. import lakeserver

            lakeserver.start()
        lake = Lake()
        lake.ensure_buckets()
        day_before = end - timedelta(seconds=1)  # through the second-last day
        first = land_simulation(sim, lake, until=day_before, workers=workers)
        child_env = dict(os.environ)
        cold = _build("cold", child_env)
        full = _build("full", child_env)
        last = land_simulation(
            sim, lake, until=end + timedelta(hours=23, minutes=59, seconds=59), after=day_before, workers=workers
        )
        incremental = _build("incremental", child_env)
        again = _build("incremental", child_env)
    finally:
        if server == "seaweedfs":
            from .. import lakeserver

            lakeserver.stop()
        os.environ.clear()
        os.environ.update(saved)
        if moto is not None:
            moto.kill()
            moto.wait()
    return {
        "scale": scale,
        "months": months,
        "server": server,
        "generate_s": round(generated, 1),
        "landing_s": round(first.seconds, 1),
        "landing": first.summary(),
        "last_day_landing_s": round(last.seconds, 1),
        "cold": cold,
        "full": full,
        "incremental": incremental,
        "no_change": again,
    }


def markdown(results: list[dict], note: str = "") -> str:
    servers = ", ".join(sorted({r.get("server", "moto") for r in results}))
    lines = [
        LATEST_HEADING,
        "",
        (
            f"Measured with `python -m ledgerlake.bench transforms` on {platform.node() or 'this machine'} "
            f"({os.cpu_count()} cores), S3: {servers}, {datetime.now(UTC):%Y-%m-%d}. "
            "Each company is landed through the real paths (receiver + hydration, pollers) up to its "
            "second-last day and built: *cold* is the lake's first build (every raw object is new, so "
            "compaction reads them all), *full* is `--full-refresh` (every model rebuilt from the "
            "compacted lake). Then the last day is landed and built (*incremental*), and built once more "
            "with nothing new. Times are wall clock; (compaction / dbt / export) splits them: "
            "*compaction* is the time spent reading the raw lake. Peak RSS is the build process's. "
            "Targets: scale 1 full < 60 s, incremental < 20 s, scale 100 full < 10 min and < 4 GiB."
        ),
        "",
        (
            "| scale | raw objects | cold build (compaction / dbt / export) | full build (compaction / dbt / export) | "
            "peak RSS (cold / full) | one more day: new objects | incremental (compaction / dbt / export) | no change |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(b: dict) -> str:
        failed = "" if b["ok"] else " FAILED: " + (b["failures"][0].split(":")[0] if b["failures"] else "?")
        return f"**{b['seconds']:.1f} s**{failed} ({b['compaction']:.1f} / {b['dbt']:.1f} / {b['export']:.1f})"

    for r in results:
        c, f, i, n = r["cold"], r["full"], r["incremental"], r["no_change"]
        lines.append(
            f"| {r['scale']:g} | {c['raw']:,} | {cell(c)} | {cell(f)} | {c['rss_mb']:,} / {f['rss_mb']:,} MB | "
            f"{i['new_raw']:,} | {cell(i)} | {n['seconds']:.1f} s |"
        )
    for r in results:
        if "replicated" in r:
            x = r["replicated"]
            lines += [
                "",
                f"Scale {r['scale']:g}'s compacted lake in {x['copies']} copies (every raw object "
                f"{x['copies']} times: {x['copies'] * r['cold']['raw']:,} raw objects to read and parse), "
                f"dbt `--full-refresh` alone: **{x['seconds']:.1f} s**, peak RSS **{x['rss_mb']:,} MB**"
                + ("" if x["ok"] else " (FAILED)")
                + ".",
            ]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


LATEST_HEADING = "### Latest `make bench` run (generated)"


def write_section(text: str, doc: Path) -> None:
    """Replace the generated run inside `## transforms`, keeping the hand-written analysis
    around it (where the time goes, the scale-100 estimate) intact."""
    body = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = re.compile(r"^## transforms\n.*?(?=^## |\Z)", re.S | re.M)
    latest = re.compile(r"^" + re.escape(LATEST_HEADING) + r"\n.*?(?=^##+ |\Z)", re.S | re.M)
    found = section.search(body)
    if found is None:
        body = body.rstrip() + "\n\n## transforms\n\n" + text.rstrip() + "\n"
    else:
        old = found.group(0)
        new = (
            latest.sub(lambda _: text.rstrip() + "\n\n", old)
            if latest.search(old)
            else old.rstrip() + "\n\n" + text.rstrip() + "\n\n"
        )
        body = body[: found.start()] + new + body[found.end() :]
    doc.write_text(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerlake.bench transforms",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales (default 1,10,100)")
    parser.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    parser.add_argument("--workers", type=int, default=16, help="webhook delivery threads while landing")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--server",
        choices=("seaweedfs", "moto"),
        default="seaweedfs",
        help="S3 server for the lake (default seaweedfs, the demo's; it takes port 8333)",
    )
    parser.add_argument("--work", type=Path, help="keep the simulations and lakes here (default: a temp dir)")
    parser.add_argument(
        "--replicate",
        type=int,
        default=0,
        metavar="N",
        help="after the largest scale, also time dbt over N copies of its compacted lake",
    )
    args = parser.parse_args(argv)
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory(prefix="ledgerlake-bench-transforms-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        for scale in scales:
            print(f"transforms bench: scale {scale:g} ...", file=sys.stderr, flush=True)
            result = run_scale(scale, args.months, work, args.workers, args.server)
            print(json.dumps(result), file=sys.stderr, flush=True)
            results.append(result)
        if args.replicate and results:
            largest = results[-1]
            largest["replicated"] = replicated_build(_home(work, largest["scale"]), args.replicate)
            print(json.dumps(largest["replicated"]), file=sys.stderr, flush=True)
    text = markdown(results)
    print(text)
    if not args.no_write:
        write_section(text, args.doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

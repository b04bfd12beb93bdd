"""DuckDB or Spark: the same dbt build on both engines, time and peak memory (#21).

    python -m ledgerlake.bench engines                  # scale 1, 18 months, + its raw x10
    python -m ledgerlake.bench engines --scale 0.1 --months 2 --copies 0   # a smoke run

Landing a large company takes longer than its builds: `--phase land` lands and compacts it
into a running S3 server (`--s3-endpoint`, e.g. a moto server you keep up) and a `--work`
directory, and `--phase build` later builds that same lake on both engines.

The company (seed 7) is generated and landed through the real paths into a moto S3 server
(its own process), compacted by a first DuckDB build, then built from its compacted lake:

* DuckDB: `dbt build` (every model and data test, no unit tests), one thread, 3 GB limit;
* Spark: the same `dbt build --target spark` (`ledgerlake.transform.spark.build_spark`,
  local[2], one session, driver memory LEDGERLAKE_SPARK_DRIVER_MEMORY, default 1g);

and, with `--copies N`, both again over N hard-linked copies of every compacted part (the raw
volume of a lake N times bigger: see transforms.replicated_build). Each build runs in its own
process; peak memory is the high-water sum of the RSS of that process and its children
(Spark's JVM), sampled every 0.2 s. Prints one JSON line per build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_DUCKDB = r"""
import sys
from pathlib import Path
from ledgerlake.config import Settings
from ledgerlake.transform.runner import run_dbt
ok, progress = run_dbt(
    ["build", "--exclude-resource-type", "unit_test"], Settings.from_env(), Path(sys.argv[1]), stream=None
)
sys.exit(0 if ok else "\n".join(progress.failures))
"""

_SPARK = r"""
import sys
from ledgerlake.transform.spark import build_spark
ok, progress = build_spark(sys.argv[1], compacted_root=sys.argv[2], stream=None)
sys.exit(0 if ok else "\n".join(progress.failures))
"""


def _tree_rss_mb_cpu_s(pid: int) -> tuple[int, float]:
    """RSS (MB) and CPU seconds (user + system, with reaped children) of a process and all
    its descendants. CPU time, unlike wall time, hardly moves with the machine's load."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    rss, ticks, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            pass
    return rss // 1024, ticks / os.sysconf("SC_CLK_TCK")


def timed(code: str, args: list[str], env: dict) -> dict:
    """Run `code` in a fresh interpreter: wall seconds, CPU seconds and peak tree RSS."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak, cpu = 0, 0.0
    stop = threading.Event()

    def sample():
        nonlocal peak, cpu
        while not stop.is_set():
            rss, seconds = _tree_rss_mb_cpu_s(proc.pid)
            peak, cpu = max(peak, rss), max(cpu, seconds)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(f"build failed: {err[-3000:]}")
    return {"seconds": round(time.monotonic() - started, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mb": peak}


def main(argv: list[str] | None = None) -> int:
    from .transforms import _free_port, _moto, _secrets

    parser = argparse.ArgumentParser(
        prog="python -m ledgerlake.bench engines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument(
        "--copies",
        type=int,
        default=10,
        help="also build over N copies of the raw (0: no)",
    )
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--s3-endpoint",
        default=None,
        help="a running S3 server holding the lake between phases (default: a moto server of this run)",
    )
    parser.add_argument(
        "--phase",
        choices=["all", "land", "build"],
        default="all",
        help="land: generate, land and compact only; build: build an already landed --work",
    )
    parser.add_argument("--quick", action="store_true", help="scale 0.1, 2 months, no copies")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.months, args.copies = 0.1, 2, 0
    work = args.work or Path(tempfile.mkdtemp(prefix="ledgerlake-engines-"))
    if args.phase == "build" and not args.work:
        parser.error("--phase build needs the --work of the landing")
    home = work / "home"
    moto, endpoint = None, args.s3_endpoint
    if endpoint is None:
        port = _free_port()
        moto, endpoint = _moto(port), f"http://127.0.0.1:{port}"
    tag = f"{args.scale:g}-{args.months}".replace(".", "-")  # one lake per company on a shared server
    env = dict(
        os.environ,
        LEDGERLAKE_HOME=str(home),
        LEDGERLAKE_RAW_BUCKET=f"engines-raw-{tag}",
        LEDGERLAKE_MARTS_BUCKET=f"engines-marts-{tag}",
        LEDGERLAKE_S3_ENDPOINT=endpoint,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    _secrets(env)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        if args.phase != "build":
            _land(work, args.scale, args.months)
        if args.phase == "land":
            return 0
        mirror = home / "compacted"
        roots = {1: mirror}
        if args.copies:
            replica = home / f"compacted-x{args.copies}"
            for part in mirror.rglob("*.parquet"):
                target = replica / part.parent.relative_to(mirror)
                target.mkdir(parents=True, exist_ok=True)
                for i in range(args.copies):
                    (target / f"copy{i:03d}-{part.name}").hardlink_to(part)
            roots[args.copies] = replica
        for copies, root in roots.items():
            run_env = dict(
                env,
                LEDGERLAKE_COMPACTED_DIR=str(root),
                LEDGERLAKE_DBT_SCRATCH=str(work / f"dbt-{copies}"),
            )
            duck = timed(_DUCKDB, [str(work / f"duckdb-x{copies}.duckdb")], run_env)
            print(
                json.dumps(
                    {
                        "engine": "duckdb",
                        "scale": args.scale,
                        "raw_copies": copies,
                        **duck,
                    }
                ),
                flush=True,
            )
            spark = timed(_SPARK, [str(work / f"spark-x{copies}"), str(root)], run_env)
            print(
                json.dumps(
                    {
                        "engine": "spark",
                        "scale": args.scale,
                        "raw_copies": copies,
                        **spark,
                    }
                ),
                flush=True,
            )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if moto is not None:
            moto.kill()
    return 0


def _land(work: Path, scale: float, months: int) -> None:
    """Generate the company, land it through the real paths and compact it (a first build)."""
    from ..lake import Lake
    from ..landing import land_simulation
    from ..simulate import generate
    from ..transform import build

    t0 = time.monotonic()
    generate(work / "company", seed=7, months=months, scale=scale)
    generated = time.monotonic() - t0
    lake = Lake()
    lake.ensure_buckets()
    t0 = time.monotonic()
    landing = land_simulation(work / "company", lake, workers=8)
    landed = time.monotonic() - t0
    t0 = time.monotonic()
    first = build(stream=None, export=False)  # compacts the lake (and checks it builds)
    assert first.success, first.failures
    print(
        json.dumps(
            {
                "scale": scale,
                "generate_seconds": round(generated, 1),
                "landing_seconds": round(landed, 1),
                "failures": len(landing.failures),
                "first_build_seconds": round(time.monotonic() - t0, 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

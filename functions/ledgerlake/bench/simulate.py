"""Simulated company generation: wall time, CPU time, peak memory and output size per scale.

    python -m ledgerlake.bench simulate [--scales 1,10,100] [--quick] [--keep]

Each scale runs in a fresh subprocess (`ledgerlake.simulate` at seed 42, 18 months). Peak
memory is the generator process's ru_maxrss (from wait4) and, at scales where Shopify
runs in its own process, that process's ru_maxrss as it reports it; the table shows their
sum as the peak for the run. Output goes to a temporary directory that is removed
afterwards unless --keep. Writes `## Simulated company generation` in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HEADING = "## Simulated company generation"

_CHILD = """
import json, sys
from datetime import date
from pathlib import Path
from ledgerlake.simulate.engine import Simulation
sim = Simulation(Path(sys.argv[1]), 42, 18, float(sys.argv[2]), date(2025, 5, 1), 4)
sim.run()
print(json.dumps({"shopify_process_max_rss_kb": sim.shop.child_max_rss_kb, "parallel": sim.shop.parallel}))
"""


def measure(scale: float, root: Path, keep: bool = False) -> dict:
    out = root / f"scale-{scale:g}"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out), str(scale)], stdout=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads(proc.stdout.read() or "{}")
    proc.stdout.close()
    if proc.returncode:
        raise RuntimeError(f"generation at scale {scale} failed ({proc.returncode})")
    manifest = json.loads((out / "manifest.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result = {
        "scale": scale,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "main_rss_mib": usage.ru_maxrss / 1024,
        "shopify_rss_mib": report.get("shopify_process_max_rss_kb", 0) / 1024,
        "parallel": report.get("parallel", False),
        "bytes": size,
        "lines": sum(manifest["files"].values()),
        "orders": manifest["stats"].get("shopify_orders", 0),
        "deals": manifest["stats"].get("deals", 0),
        "charges": manifest["files"].get("api/stripe/charges.jsonl", 0),
        "bank_lines": manifest["files"].get("api/plaid/transactions.jsonl", 0),
    }
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return result


def markdown(results: list[dict]) -> str:
    rows = [
        (
            "| scale | wall time | CPU time | peak RSS (main + Shopify process) | output | lines | deals | orders | "
            "Stripe charge versions | bank lines |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        peak = r["main_rss_mib"] + r["shopify_rss_mib"]
        split = f" ({r['main_rss_mib']:.0f} + {r['shopify_rss_mib']:.0f})" if r["parallel"] else ""
        rows.append(
            f"| {r['scale']:g} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {peak:.0f} MiB{split} | "
            f"{r['bytes'] / 2**30:.2f} GiB | {r['lines']:,} | {r['deals']:,} | {r['orders']:,} | {r['charges']:,} | "
            f"{r['bank_lines']:,} |"
        )
    return "\n".join(rows)


def write_section(body: str, path: Path) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{HEADING}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerlake.bench simulate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales (default 1,10,100)")
    parser.add_argument("--quick", action="store_true", help="scale 1 only")
    parser.add_argument("--keep", action="store_true", help="keep the generated directories")
    parser.add_argument("--dir", type=Path, default=None, help="where to generate (default: a temp dir)")
    parser.add_argument("--write", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    scales = [1.0] if args.quick else [float(s) for s in args.scales.split(",")]
    root = args.dir or Path(tempfile.mkdtemp(prefix="ledgerlake-bench-sim-"))
    results = []
    for scale in scales:
        print(f"simulate scale {scale:g} ...", file=sys.stderr, flush=True)
        result = measure(scale, root, args.keep)
        print(json.dumps(result), file=sys.stderr, flush=True)
        results.append(result)
    table = markdown(results)
    print(table)
    if not args.no_write and not args.quick:
        intro = (
            "`python -m ledgerlake.bench simulate` (seed 42, 18 months; each scale in a fresh process; "
            "2-core machine shared with other work, so wall time is noisy and CPU time is the steadier figure). "
            "Targets: scale 1 in a few seconds, scale 100 under 5 minutes and under 2 GiB peak.\n\n"
        )
        write_section(intro + table, args.write)
    if args.dir is None and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

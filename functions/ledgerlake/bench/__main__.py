"""`make bench`: run every area's benchmark; each writes its own section of docs/benchmarks.md.

    python -m ledgerlake.bench                 # every area
    python -m ledgerlake.bench simulate polling  # some areas
    python -m ledgerlake.bench --quick         # small scales only (smoke run)
    python -m ledgerlake.bench transforms --scales 1,10 --replicate 10  # one area's own options

Each module in this package exposes `main(argv: list[str]) -> int` and accepts `--quick`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time

from . import __path__ as bench_path


def areas() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench_path) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerlake.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("areas", nargs="*", help=f"areas to run (default all: {', '.join(areas())})")
    parser.add_argument("--quick", action="store_true", help="small scales only")
    parser.add_argument(
        "--write",
        default=None,
        help="write the area's section to this file instead of docs/benchmarks.md (areas that write one)",
    )
    args, area_options = parser.parse_known_args(argv)
    unknown = [a for a in args.areas if a not in areas()]
    if unknown:
        parser.error(f"unknown area(s) {', '.join(unknown)}; areas: {', '.join(areas())}")
    if area_options and len(args.areas) != 1:
        parser.error(f"options {' '.join(area_options)} belong to one area; name exactly one")
    failed = []
    for area in args.areas or areas():
        module = importlib.import_module(f"{__package__}.{area}")
        print(f"==> bench {area}", file=sys.stderr, flush=True)
        started = time.monotonic()
        write = ["--write", args.write] if args.write else []
        rc = module.main((["--quick"] if args.quick else []) + write + area_options)
        print(f"==> bench {area}: rc={rc} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        if rc:
            failed.append(area)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""`ledgerlake docs`: build the dbt docs for transforms/ and serve them locally."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS_FILES = ("index.html", "manifest.json", "catalog.json")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "docs",
        help="build and serve the dbt docs (every model with its grain and columns)",
        description=(
            "Run `dbt docs generate` on the transforms/ project (its own profiles.yml) against a "
            "copy of the warehouse, so column types come from the real tables without locking or "
            "touching the warehouse itself, then serve the site on http://127.0.0.1:PORT with dbt's "
            "own `dbt docs serve --no-browser`. Without "
            "a warehouse, the docs are built from the project's YAML alone (no catalog)."
        ),
    )
    parser.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    parser.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--no-serve", action="store_true", help="only build the docs, print where they are")
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="warehouse file (default $LEDGERLAKE_HOME/warehouse.duckdb)"
    )
    parser.add_argument(
        "--target-path", type=Path, default=None, help="where the site is written (default transforms/target)"
    )
    parser.set_defaults(func=_docs)


def project_dir() -> Path:
    from ..transform.runner import project_dir as transform_project_dir

    return transform_project_dir()


def generate(warehouse: Path | None = None, target: Path | None = None, stream=sys.stderr) -> Path:
    """`dbt docs generate`; returns the directory holding index.html, manifest.json, catalog.json."""
    from dbt.cli.main import dbtRunner

    from ..analyst import warehouse_path
    from ..progress import step

    project = project_dir()
    target = (target or project / "target").resolve()
    warehouse = warehouse or warehouse_path()
    with tempfile.TemporaryDirectory(prefix="ledgerlake-docs-") as scratch:
        copy = Path(scratch) / "warehouse.duckdb"
        args = [
            "docs",
            "generate",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--quiet",
        ]
        if warehouse.exists():
            shutil.copyfile(warehouse, copy)
        else:
            args.append("--empty-catalog")
            print(f"no warehouse at {warehouse}: building the docs without column types", file=stream)
        env = {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "LEDGERLAKE_WAREHOUSE": str(copy),
            "DBT_LOG_PATH": str(Path(scratch) / "logs"),
        }
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            step(f"dbt docs generate ({project})")
            result = dbtRunner().invoke(args)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception or 'see the messages above'}")
    missing = [name for name in DOCS_FILES if not (target / name).exists()]
    if missing:
        raise RuntimeError(f"dbt docs generate wrote no {', '.join(missing)} in {target}")
    return target


def serve_command(target: Path, address: str = "127.0.0.1", port: int = 8080) -> list[str]:
    """dbt's own `dbt docs serve --no-browser` over the built site in `target`."""
    project = project_dir()
    return [
        sys.executable,
        "-m",
        "dbt.cli.main",
        "docs",
        "serve",
        "--no-browser",
        "--host",
        address,
        "--port",
        str(port),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
    ]


def _docs(args) -> int:
    try:
        target = generate(args.warehouse, args.target_path)
    except RuntimeError as err:
        print(f"ledgerlake docs: {err}", file=sys.stderr)
        return 1
    print(f"docs built in {target}")
    if args.no_serve:
        return 0
    print(f"serving the dbt docs on http://{args.address}:{args.port}/ (Ctrl-C to stop)", flush=True)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    try:
        return subprocess.run(serve_command(target, args.address, args.port), env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0

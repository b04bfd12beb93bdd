"""`ledgerlake docs`: the dbt docs site for transforms/, built and served."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from ledgerlake.cli import main


@pytest.fixture(scope="module")
def docs_site(mini_ledger, s3_endpoint, tmp_path_factory):
    """Built once: dbt parses the whole project (the slow part)."""
    target = tmp_path_factory.mktemp("docs") / "target"
    assert main(["docs", "--no-serve", "--warehouse", str(mini_ledger.path), "--target-path", str(target)]) == 0
    return target


def test_every_mart_has_its_grain_and_columns(docs_site):
    manifest = json.loads((docs_site / "manifest.json").read_text())
    marts = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    }
    assert len(marts) >= 3, "the project has no marts yet"
    for name, node in marts.items():
        assert "grain" in node["description"].lower(), f"{name}: no grain in its description"
        assert node["columns"], f"{name}: no documented columns"


def test_catalog_has_the_warehouse_column_types(docs_site, mini_ledger):
    catalog = json.loads((docs_site / "catalog.json").read_text())
    table = catalog["nodes"]["model.ledgerlake.revenue_by_month"]
    assert table["metadata"]["schema"] == "marts"
    assert table["columns"]["revenue_reporting"]["type"].upper() == "DECIMAL(38,6)"


def test_the_site_is_served_by_dbt_docs_serve(docs_site):
    """`ledgerlake docs` serves with dbt's own `dbt docs serve --no-browser` (no browser opened)."""
    from ledgerlake.commands.docs import serve_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        serve_command(docs_site, port=port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/", timeout=5) as resp:
                    assert resp.status == 200 and b"dbt" in resp.read().lower()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "dbt docs serve did not answer"
                time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/manifest.json", timeout=10) as resp:
            assert json.loads(resp.read())["metadata"]["project_name"] == "ledgerlake"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_landing_page_is_the_analysts_start_here(docs_site):
    """Not dbt's stock overview: the dozen marts to begin with, each with its grain and a query."""
    manifest = json.loads((docs_site / "manifest.json").read_text())
    overview = manifest["docs"]["doc.ledgerlake.__overview__"]["block_contents"]
    marts = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    named = [m for m in marts if f"`{m}`" in overview]
    assert len(named) >= 12, named
    assert overview.count("select ") >= 12 and "Start here" in overview

"""The dbt project compiled for Trino (Athena engine v3) parses as Trino SQL, every model.

`dbt compile --target trino` with dbt-trino needs no server (`--no-populate-cache
--no-introspect`: nothing is asked of the warehouse), so the `default__` spellings of the
dispatched macros are what it compiles; sqlglot's Trino dialect then parses each compiled
model and data test. A DuckDB-only spelling that slipped into a model (read_parquet,
QUALIFY, `::`, `* exclude`, HUGEINT, a JSON path Trino cannot read) fails here, naming it.
"""

from __future__ import annotations

import json
import logging
import re

import pytest

from ledgerlake.transform.runner import project_dir

pytest.importorskip("dbt.adapters.trino")
sqlglot = pytest.importorskip("sqlglot")

# Spellings only DuckDB reads (sqlglot would parse some of them as unknown functions).
DUCKDB_ONLY = {
    "read_parquet / read_csv": re.compile(r"\bread_(parquet|csv)\s*\("),
    "QUALIFY": re.compile(r"\bqualify\b", re.IGNORECASE),
    ":: cast": re.compile(r"::\s*\w"),
    "select * exclude": re.compile(r"\*\s*exclude\s*\(", re.IGNORECASE),
    "HUGEINT": re.compile(r"\bhugeint\b", re.IGNORECASE),
    "json_extract_string": re.compile(r"\bjson_extract_string\s*\("),
    "DuckDB's regex flags": re.compile(r"regexp_replace\([^;]*?,\s*'g'\s*\)"),
}


@pytest.fixture(scope="module")
def trino_manifest(tmp_path_factory, monkeypatch_module):
    from dbt.cli.main import dbtRunner

    out = tmp_path_factory.mktemp("trino")
    for name, value in {
        "LEDGERLAKE_DBT_TARGET": "trino",
        "DBT_TARGET_PATH": str(out / "target"),
        "DBT_LOG_PATH": str(out / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }.items():
        monkeypatch_module.setenv(name, value)
    project = str(project_dir())
    result = dbtRunner().invoke(
        [
            "compile",
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--no-populate-cache",
            "--no-introspect",
            "--quiet",
        ]
    )
    assert result.success, f"dbt compile --target trino failed: {result.exception}"
    return json.loads((out / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _compiled(manifest, kinds=("model", "test")) -> dict[str, str]:
    return {
        node["unique_id"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in kinds and node.get("compiled_code")
    }


def test_every_model_compiles_for_trino(trino_manifest):
    models = [n for n in trino_manifest["nodes"].values() if n["resource_type"] == "model"]
    missing = [n["unique_id"] for n in models if not n.get("compiled_code")]
    assert models and not missing, f"not compiled for Trino: {missing}"


def test_sqlglot_parses_every_compiled_model_as_trino(trino_manifest):
    """100 % of the compiled models and data tests parse in sqlglot's Trino dialect, with
    no warning either (sqlglot only warns on, e.g., a JSON path Trino would reject)."""
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            warnings.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("sqlglot")
    logger.addHandler(handler)
    failures = {}
    try:
        compiled = _compiled(trino_manifest)
        for unique_id, sql in compiled.items():
            warnings.clear()
            try:
                sqlglot.parse(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
            except sqlglot.errors.SqlglotError as exc:
                failures[unique_id] = str(exc).splitlines()[0]
            if warnings:
                failures[unique_id] = "; ".join(sorted(set(warnings)))
    finally:
        logger.removeHandler(handler)
    assert len(compiled) > 200
    assert not failures, "\n".join(f"{k}: {v}" for k, v in sorted(failures.items()))


def test_no_duckdb_only_spelling_in_trino_sql(trino_manifest):
    found = [
        f"{unique_id}: {what}"
        for unique_id, sql in _compiled(trino_manifest).items()
        for what, pattern in DUCKDB_ONLY.items()
        if pattern.search(re.sub(r"--[^\n]*", "", sql))  # not in comments
    ]
    assert not found, "\n".join(found)

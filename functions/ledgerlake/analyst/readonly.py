"""The analyst connection writes nothing outside this machine.

DuckDB's httpfs reads and writes S3 with the same secret, and locally the lake's
credentials are the pipeline's, so `COPY (…) TO 's3://<raw bucket>/raw/…'` from
`ledgerlake sql` would overwrite history. On AWS the analyst's IAM policy (template.yaml
`AnalystPolicy`) and the raw bucket policy refuse that; here, every statement is checked
before it runs: COPY … TO and EXPORT DATABASE may write local files only, and a target
that is not a plain string (a variable, an expression) is refused because it cannot be
checked. Reads (COPY … FROM, read_parquet('s3://…'), ATTACH of a remote file, which httpfs
opens read-only) are untouched.
"""

from __future__ import annotations

import duckdb

_REMOTE = (
    "s3://",
    "s3a://",
    "s3n://",
    "r2://",
    "gcs://",
    "gs://",
    "az://",
    "azure://",
    "abfss://",
    "http://",
    "https://",
    "hf://",
)


class LakeWriteRefused(duckdb.PermissionException):
    """A statement would write outside the local filesystem."""


def _words(query: str) -> list[tuple[str, str]]:
    """(kind, text) of each token: kind is keyword, string, operator, identifier, ..."""
    tokens = duckdb.tokenize(query)
    out = []
    for i, (start, kind) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(query)
        out.append((kind.name, query[start:end].strip()))
    return out


def _write_target(words: list[tuple[str, str]], after: int) -> str | None:
    """The string constant right after position `after`, else None."""
    if after + 1 < len(words) and words[after + 1][0] == "string_const":
        return words[after + 1][1].strip("'").replace("''", "'")
    return None


def _targets(query: str, kind) -> list[str | None]:
    """Where a COPY … TO / EXPORT DATABASE statement writes (None: cannot tell)."""
    words = _words(query)
    if kind == duckdb.StatementType.EXPORT:
        return [_write_target(words, next(i for i, (k, w) in enumerate(words) if w.upper() == "DATABASE"))]
    depth = 0
    for i, (k, w) in enumerate(words[1:], start=1):
        if k == "operator":
            depth += w.count("(") - w.count(")")
        elif depth == 0 and k == "keyword" and w.upper() in ("TO", "FROM"):
            return [_write_target(words, i)] if w.upper() == "TO" else []
    return []


def refuse_lake_writes(conn, text: str) -> None:
    """Raise LakeWriteRefused if any statement in `text` would write to a remote store."""
    for statement in conn.extract_statements(text):
        kind = statement.type
        if kind == duckdb.StatementType.PREPARE and any(
            w.upper() in ("COPY", "EXPORT") for k, w in _words(statement.query) if k == "keyword"
        ):
            raise LakeWriteRefused("ledgerlake sql: PREPARE of COPY/EXPORT is refused (its target cannot be checked)")
        if kind not in (duckdb.StatementType.COPY, duckdb.StatementType.EXPORT):
            continue
        for target in _targets(statement.query, kind):
            if target is None:
                raise LakeWriteRefused("ledgerlake sql: COPY … TO / EXPORT need a literal local path here")
            if target.lower().startswith(_REMOTE) or "://" in target:
                raise LakeWriteRefused(
                    f"ledgerlake sql is read-only on the lake: refusing to write {target} "
                    "(COPY … TO and EXPORT may write local files only; the raw lake is append-only)"
                )

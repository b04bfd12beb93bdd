"""Query results as text: an aligned table, CSV or JSON.

Money stays exact: DECIMAL values print with DuckDB's digits in the table and CSV, and as
JSON strings (JSON numbers are doubles to most readers, so "1234.50" rather than 1234.5).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int | None = None) -> str:
    shown = list(rows if max_rows is None else rows[:max_rows])
    cells = [["NULL" if v is None else _text(v) for v in row] for row in shown]
    numeric = [
        all(
            isinstance(row[i], (int, float, Decimal)) and not isinstance(row[i], bool)
            for row in shown
            if row[i] is not None
        )
        and any(row[i] is not None for row in shown)
        for i in range(len(columns))
    ]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str], header: bool = False) -> str:
        parts = []
        for i, v in enumerate(values):
            parts.append(v.rjust(widths[i]) if numeric[i] and not header else v.ljust(widths[i]))
        return "| " + " | ".join(parts) + " |"

    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [rule, line(columns, header=True), rule, *(line(r) for r in cells), rule]
    count = len(rows)
    hidden = count - len(shown)
    out.append(f"({count} row{'s' if count != 1 else ''}" + (f", first {len(shown)} shown)" if hidden else ")"))
    return "\n".join(out) + "\n"


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return buf.getvalue()


def render_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    records = [{c: _jsonable(v) for c, v in zip(columns, row)} for row in rows]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def render(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int | None = None) -> str:
    if fmt == "table":
        return render_table(columns, rows, max_rows=max_rows)
    if fmt == "csv":
        return render_csv(columns, rows)
    if fmt == "json":
        return render_json(columns, rows)
    raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")

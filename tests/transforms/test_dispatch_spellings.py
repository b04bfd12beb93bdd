"""Every engine-specific macro has a spelling for each engine the project runs on.

A macro dispatched with `adapter.dispatch('<name>', 'ledgerlake')` needs `spark__<name>`
(the Spark build, tests/transforms/test_spark_parity.py), `duckdb__<name>` or
`default__<name>` for DuckDB, and `default__<name>` for Trino/Athena: a new dispatched
macro without one fails here, before a build on that engine would.
"""

from __future__ import annotations

import re

from ledgerlake.transform.runner import project_dir


def test_every_dispatched_macro_is_spelt_for_spark_duckdb_and_trino():
    text = "\n".join(p.read_text() for p in sorted((project_dir() / "macros").glob("*.sql")))
    dispatched = set(re.findall(r"adapter\.dispatch\('(\w+)', 'ledgerlake'\)", text))
    defined = set(re.findall(r"\{%-?\s*macro (\w+)\(", text))
    missing = sorted(
        f"{prefix}{name}"
        for name in dispatched
        for prefix, alternatives in (
            ("spark__", ("spark__",)),
            ("duckdb__", ("duckdb__", "default__")),
            ("default__", ("default__",)),
        )
        if not any(f"{alt}{name}" in defined for alt in alternatives)
    )
    assert len(dispatched) > 20
    assert not missing, f"dispatched macros without a spelling: {missing}"

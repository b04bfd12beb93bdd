"""Render one of the dbt project's own macros outside dbt, for DuckDB.

For the few places that must apply a rule of the marts where there are no marts (the
simulator's raw frames): instead of a second implementation in Python, they render the
project's macro and run the SQL in DuckDB. What dbt adds to a macro's Jinja context is
supplied as dbt-duckdb would: `adapter.dispatch` picks the `duckdb__`, else `default__`
implementation, and `return(...)` hands back a macro's string (the only kind these macros
return). transforms/sqlfluff_context uses the same adapter for `sqlfluff lint`.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, StrictUndefined, pass_context

from .runner import project_dir


class DuckDBAdapter:
    """dbt's `adapter` as far as the project's macros use it: `dispatch`, as dbt-duckdb resolves it."""

    unsafe_callable = False  # what jinja's sandbox (sqlfluff's templater) asks of a global
    alters_data = False

    @pass_context
    def dispatch(self, context, macro_name, macro_namespace=None):
        for prefix in ("duckdb__", "default__"):
            macro = context.get(prefix + macro_name)
            if macro is not None:
                return macro
        raise LookupError(f"no duckdb__ or default__ implementation of {macro_name}")


@functools.cache
def _module(files: tuple[str, ...]):
    env = Environment(extensions=["jinja2.ext.do"], undefined=StrictUndefined)
    env.globals.update({"adapter": DuckDBAdapter(), "return": lambda value: value})
    source = "\n".join((project_dir() / "macros" / name).read_text() for name in files)
    return env.from_string(source).module


def render_macro(name: str, *args, files: tuple[str, ...] = ("portable.sql",)) -> str:
    """The SQL macro `name` of transforms/macros/`files` renders for `args` (strings)."""
    return str(getattr(_module(files), name)(*args))

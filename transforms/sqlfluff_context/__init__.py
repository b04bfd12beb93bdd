"""What dbt puts in a model's Jinja context beyond sqlfluff's own dbt builtins (ref, source,
var, config, return), so `sqlfluff lint` renders the models through the project's real
macros without a database: `adapter.dispatch` picks the `duckdb__` implementation (what
runs today), `target` is the DuckDB profile, `dbt.*` the cross-database macros calendar.sql
uses (as dbt-duckdb spells them), and `execute` is false as in dbt's parse phase, so no
macro asks the lake anything.

Loaded by sqlfluff's jinja templater (`library_path` in .sqlfluff); never imported by dbt.
"""

import re as _re
from types import SimpleNamespace

from ledgerlake.transform.macros import DuckDBAdapter

adapter = DuckDBAdapter()
target = SimpleNamespace(type="duckdb", name="duckdb", schema="main", database="warehouse", threads=1)
modules = SimpleNamespace(re=_re)
# dbt's cross-database macros (macros/calendar.sql calls them) as dbt-duckdb spells them.
dbt = SimpleNamespace(
    dateadd=lambda datepart, interval, from_date: f"({from_date} + cast({interval} as bigint) * interval 1 {datepart})",
    date_trunc=lambda datepart, date: f"date_trunc('{datepart}', {date})",
    last_day=lambda date, datepart: (
        f"cast(date_trunc('{datepart}', {date}) + interval 1 {datepart} - interval 1 day as date)"
    ),
)
flags = SimpleNamespace(WHICH="lint")
execute = False


def env_var(name, default=""):
    return default

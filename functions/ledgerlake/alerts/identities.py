"""Vendor identities for payments read without marts (the simulator's raw frames, the
forecast benchmark): the marts' own rule, the dbt macro `vendor_identity_ctes`
(transforms/macros/vendors.sql, with the contact alias seed), rendered and run in DuckDB over
the payments' names. Production payments come from the marts with their `party_key` already
(forecast.marts), so nothing deployed imports this module: it needs the dbt project's files
and Jinja, which the forecaster's image does not ship."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .vendors import VENDOR_KEY_PREFIX


def vendor_keys(names: Iterable[str | None]) -> dict[str, str]:
    """name -> its vendor identity in the format of `parties.party_key` ('vendor:amazon'), by
    the marts' own rule (the `vendor_identity_ctes` macro, with the contact alias seed) run in
    DuckDB. A name that normalizes to nothing ("The Co.") has no identity and is left out."""
    import duckdb

    from ..transform.macros import render_macro
    from ..transform.runner import project_dir

    frame = pl.DataFrame({"vendor_name": sorted({n for n in names if n})}, schema={"vendor_name": pl.Utf8})
    if frame.is_empty():
        return {}
    ctes = render_macro("vendor_identity_ctes", "names", "aliases", files=("portable.sql", "vendors.sql"))
    conn = duckdb.connect()
    try:
        conn.register("names", frame.to_arrow())
        seed = project_dir() / "seeds" / "contact_aliases.csv"
        conn.execute(
            "create table aliases as select * from read_csv(?, header = true, all_varchar = true)", [str(seed)]
        )
        rows = conn.execute(
            f"""with {ctes}
                select f.vendor_name, i.vendor_key
                from vendor_name_forms as f
                join vendor_identities as i using (normalized_name)"""
        ).fetchall()
    finally:
        conn.close()
    return {name: VENDOR_KEY_PREFIX + key for name, key in rows}


def with_vendor_keys(payments: pl.DataFrame) -> pl.DataFrame:
    """The payments with a `vendor_key`: as given (the marts resolved it), else by `vendor_keys`
    over their names; a name with no identity is its own vendor."""
    if "vendor_key" in payments.columns:
        return payments
    keys = vendor_keys(payments["vendor_name"].to_list())
    return payments.with_columns(
        vendor_key=pl.col("vendor_name").map_elements(lambda n: keys.get(n, f"name:{n}"), return_dtype=pl.Utf8)
    )

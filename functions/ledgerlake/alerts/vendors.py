"""Which vendor a payment went to: the marts' vendor identity, and the duplicate rule's typos.

Ledgers accumulate variants of one supplier ("AWS", "Amazon Web Services", "Amazon.com",
"AMAZON WEB SERVICES INC"). Every vendor rule compares payments per *vendor identity*, and the
identity has one home: the dbt macro `vendor_identity_ctes` (transforms/macros/vendors.sql),
behind `int_vendor_identities` → `party_contacts` → `parties` and the `party_key` /
`party_name` of `general_ledger` (docs/DECISIONS.md, "One vendor rule").

- **With marts (production):** the payments frame carries `vendor_key` (the mart's
  `party_key`) and `vendor_name` (its `party_name`), read by forecast.marts. The alerts take
  them as given: no name is re-resolved here.
- **Without marts** (the simulator's raw frames, the forecast benchmark: `vendor_keys`):
  the same macro is rendered and run in DuckDB over the payments' names, so the identity is
  still the marts' rule, not a second implementation of it.

Typos are not identity (a mart feeding the statements does not merge suppliers on
similarity), but a duplicate vendor record is the classic way one bill gets paid twice. So
the duplicate rule alone also compares payments across identities whose names differ by a
typo (`typo_families`: similarity >= 0.92 on 6+ letters, same digits, so "Vendor 1" and
"Vendor 11" stay two suppliers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

TYPO_SIMILARITY = 0.92
VENDOR_KEY_PREFIX = "vendor:"  # parties.party_key of a vendor: 'vendor:' || its vendor_key


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


def _typo_text(key: str) -> str | None:
    """The normalized name a vendor identity is spelt by; None for keys that are no name (a
    ledger contact the marts could not resolve: 'contact:qbo:42')."""
    return key[len(VENDOR_KEY_PREFIX) :] if key.startswith(VENDOR_KEY_PREFIX) else None


def typo_families(keys: Iterable[str]) -> dict[str, str]:
    """vendor key -> the key of its typo family: identities whose names differ by a typo
    (indel similarity >= 0.92 on names of 6+ letters, the same digits) are one family, by
    union-find. rapidfuzz finds the candidates in one C++ pass per name, so thousands of
    vendors take milliseconds, not an all-pairs loop."""
    from rapidfuzz import fuzz, process

    keys = sorted(set(keys))
    parent = {k: k for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    key_of = {t: k for k in keys if (t := _typo_text(k)) and len(t) >= 6}
    names = sorted(key_of)
    for text in names:
        for other, _, _ in process.extract(
            text, names, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY * 100, limit=None
        ):
            if other != text and re.sub(r"\D", "", other) == re.sub(r"\D", "", text):
                a, b = find(key_of[text]), find(key_of[other])
                parent[max(a, b)] = min(a, b)
    return {k: find(k) for k in keys}

"""Which vendor a payment went to: the marts' vendor identity, and the duplicate rule's typos.

Ledgers accumulate variants of one supplier ("AWS", "Amazon Web Services", "Amazon.com",
"AMAZON WEB SERVICES INC"). Every vendor rule compares payments per *vendor identity*, and the
identity has one home: the dbt macro `vendor_identity_ctes` (transforms/macros/vendors.sql),
behind `int_vendor_identities` → `party_contacts` → `parties` and the `party_key` /
`party_name` of `general_ledger` (docs/DECISIONS.md, "One vendor rule").

- **With marts (production):** the payments frame carries `vendor_key` (the mart's
  `party_key`) and `vendor_name` (its `party_name`), read by forecast.marts. The alerts take
  them as given: no name is re-resolved here.
- **Without marts** (the simulator's raw frames, the forecast benchmark:
  `alerts.identities.vendor_keys`): the same macro is rendered and run in DuckDB over the
  payments' names, so the identity is still the marts' rule, not a second implementation of
  it. That module is kept apart so that production code (the forecaster's image) cannot
  reach dbt's Jinja or the project's macros.

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


def require_vendor_keys(payments: pl.DataFrame) -> pl.DataFrame:
    """The payments, which must carry their `vendor_key`: from the marts (`party_key`), or,
    for frames built without marts, from `alerts.identities.with_vendor_keys` (the marts'
    rule run in DuckDB). The rules never resolve names themselves, so the forecaster's image
    needs neither dbt's Jinja nor the project's macros."""
    if "vendor_key" not in payments.columns:
        raise ValueError(
            "the payments carry no vendor_key: read them from the marts (party_key), or "
            "resolve their names first with ledgerlake.alerts.identities.with_vendor_keys"
        )
    return payments


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

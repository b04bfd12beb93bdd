"""One vendor under several names: normalise, then cluster.

Ledgers accumulate variants of the same supplier ("AWS", "Amazon Web Services",
"AMAZON WEB SERVICES INC", "Amazon.com"). Every vendor rule (duplicates, unusual charges,
new vendors) compares payments per *resolved* vendor, so the same resolution is used
everywhere (`VendorResolver`).

Two names are the same vendor when, after normalisation (case, accents, punctuation,
web domains, legal suffixes), they are equal, or one is the other's acronym
("aws" / "amazon web services"), or one is only the other's first word and that word is
distinctive enough (4+ letters: "amazon" / "amazon web services"), or they differ by a
typo (similarity >= 0.92 on names of 6+ letters, with the same digits). Clusters are the transitive closure
(union-find), so "Amazon.com" and "AWS" meet through "Amazon Web Services". Candidate
pairs come from rapidfuzz and lookups (`_candidate_pairs`), not an all-pairs loop.

The marts apply the same rule, less the typo match, in SQL (the dbt model int_vendor_identities):
its unit test is the rule's casebook, and tests/forecast/test_alert_rules.py holds this
resolver to it (docs/DECISIONS.md, "One vendor rule").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

LEGAL_SUFFIXES = frozenset(
    "inc incorporated llc ltd limited corp corporation co company plc llp lp gmbh ag sa sas bv nv pty pte srl".split()
)
_DOMAIN = re.compile(r"\.(com|net|org|io|co\.uk|co|uk)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
TYPO_SIMILARITY = 0.92


def normalize_vendor(name: str | None) -> str:
    """'AMAZON WEB SERVICES INC' -> 'amazon web services'; 'Amazon.com' -> 'amazon'."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ")
    text = _DOMAIN.sub(" ", text)
    text = _NON_ALNUM.sub(" ", text)
    tokens = [t for t in text.split() if t not in LEGAL_SUFFIXES and t != "the"]
    return " ".join(tokens)


def _acronym(name: str) -> str:
    tokens = [t for t in name.split() if t != "and"]
    return "".join(t[0] for t in tokens) if len(tokens) >= 2 else ""


def same_vendor(a: str, b: str) -> bool:
    """Whether two *normalised* names are the same vendor (see module doc)."""
    if not a or not b:
        return False
    if a == b:
        return True
    if (" " not in a and a == _acronym(b)) or (" " not in b and b == _acronym(a)):
        return True
    short, long_ = sorted((a, b), key=len)
    if " " not in short and len(short) >= 4 and long_.split()[0] == short:
        return True
    # A typo, but never a different number: "Vendor 1" and "Vendor 11" are two suppliers.
    if re.sub(r"\D", "", a) != re.sub(r"\D", "", b):
        return False
    return min(len(a), len(b)) >= 6 and SequenceMatcher(None, a, b).ratio() >= TYPO_SIMILARITY


def _candidate_pairs(names: list[str]) -> set[tuple[str, str]]:
    """Every pair `same_vendor` could accept, found without comparing all pairs in Python.

    Acronyms and first words are dictionary lookups. Typos come from rapidfuzz's indel
    ratio (C++, one pass per name): it is 2·LCS/(len a + len b), never below difflib's
    ratio (whose matching blocks are a common subsequence), so its candidates include
    every pair difflib would accept and `same_vendor` keeps the final word. At a few
    thousand vendors this is milliseconds where the all-pairs difflib loop took minutes.
    """
    from rapidfuzz import fuzz, process

    by_acronym: dict[str, list[str]] = {}
    by_first_word: dict[str, list[str]] = {}
    for name in names:
        if _acronym(name):
            by_acronym.setdefault(_acronym(name), []).append(name)
        if " " in name:
            by_first_word.setdefault(name.split()[0], []).append(name)
    pairs: set[tuple[str, str]] = set()
    for a in names:
        if " " not in a:
            pairs.update((a, b) for b in [*by_acronym.get(a, []), *by_first_word.get(a, [])])
        if len(a) >= 6:
            for b, _, _ in process.extract(a, names, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY * 100, limit=None):
                if b != a:
                    pairs.add((a, b))
    return pairs


class VendorResolver:
    """Maps every raw vendor name seen to one canonical vendor key."""

    def __init__(self, names: Iterable[str | None]):
        raw = sorted({n for n in names if n})
        normal = sorted({normalize_vendor(n) for n in raw} - {""})
        parent = {n: n for n in normal}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in _candidate_pairs(normal):
            if same_vendor(a, b):
                parent[find(a)] = find(b)
        clusters: dict[str, list[str]] = {}
        for n in normal:
            clusters.setdefault(find(n), []).append(n)
        # The canonical key is the cluster's most descriptive name (longest, then alphabetical).
        canonical = {}
        for members in clusters.values():
            key = sorted(members, key=lambda m: (-len(m), m))[0]
            for m in members:
                canonical[m] = key
        self._canonical = canonical
        self.variants: dict[str, list[str]] = {}
        for name in raw:
            key = canonical.get(normalize_vendor(name))
            if key:
                self.variants.setdefault(key, []).append(name)

    def key(self, name: str | None) -> str:
        normal = normalize_vendor(name)
        return self._canonical.get(normal, normal)

    def __call__(self, name: str | None) -> str:
        return self.key(name)

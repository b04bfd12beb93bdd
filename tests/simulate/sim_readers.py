"""Readers over a simulated company's files, independent of the generator's code: the tests
recompute everything (ledger postings, truth totals, payout sums) from the emitted records."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def read_lines(path: Path, limit: int | None = None):
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                return
            yield json.loads(line, parse_float=Decimal)


class Api:
    """Every version of every API resource, with 'latest as of' helpers."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[tuple[str, str], list[dict]] = {}

    def lines(self, source: str, resource: str) -> list[dict]:
        key = (source, resource)
        if key not in self._cache:
            self._cache[key] = list(read_lines(self.root / "api" / source / f"{resource}.jsonl"))
        return self._cache[key]

    def latest(self, source: str, resource: str, until: str | None = None) -> dict:
        """id -> object of the latest version (with `at` <= until, an ISO timestamp, if given)."""
        out: dict = {}
        for line in self.lines(source, resource):
            if until is not None and line["at"] > until:
                continue
            if line["deleted"]:
                out.pop(line["id"], None)
            else:
                out[line["id"]] = line["object"]
        return out


def problem_ids(problems: list[dict], kind: str, *resources: str) -> set[str]:
    """Ids of the records of every planted problem of `kind` (only of these resources, if given)."""
    return {
        r["id"]
        for p in problems
        if p["kind"] == kind
        for r in p["records"]
        if not resources or r["resource"] in resources
    }

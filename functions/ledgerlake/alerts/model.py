"""An alert, its stable id and its evidence.

The id is derived only from the alert type and the source identities of the records
that make it (never from row numbers or run times), so rebuilding the marts from the
same raw lake gives the same ids, and acknowledgements stay attached (see state.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Evidence:
    """One record behind an alert, traceable to the raw lake."""

    role: str  # what the record is to the alert: "original", "duplicate", "payment", ...
    source_system: str
    source_id: str
    raw_key: str | None = None  # the raw lake object (or compacted file) it came from
    record_type: str | None = None
    occurred_on: date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "role": self.role,
            "source_system": self.source_system,
            "source_id": self.source_id,
            "raw_key": self.raw_key,
        }
        if self.record_type:
            out["record_type"] = self.record_type
        if self.occurred_on:
            out["occurred_on"] = self.occurred_on.isoformat()
        if self.amount is not None:
            out["amount"] = str(self.amount)  # money as a decimal string, never a float
        if self.currency:
            out["currency"] = self.currency
        if self.detail:
            out["detail"] = self.detail
        return out


def alert_id(alert_type: str, identity: list[str]) -> str:
    text = alert_type + "|" + "|".join(sorted(identity))
    return "al_" + hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Alert:
    type: str
    severity: str
    entity: str
    currency: str
    amount: Decimal
    occurred_on: date
    title: str
    identity: tuple[str, ...]  # source ids that make this alert what it is
    evidence: tuple[Evidence, ...]
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        return alert_id(self.type, list(self.identity))

    def evidence_json(self) -> str:
        """The records behind the alert, as a JSON list (what the dashboard clicks through)."""
        return json.dumps([e.to_json() for e in self.evidence], sort_keys=True, default=str)

    def detail_json(self) -> str:
        """The rule's own figures (z-score, days apart, floor...), as a JSON object."""
        return json.dumps(self.metrics, sort_keys=True, default=str)

    def source_ids(self) -> set[str]:
        return {e.source_id for e in self.evidence}


def severity_for(amount: Decimal, high: Decimal, medium: Decimal) -> str:
    amount = abs(amount)
    if amount >= high:
        return "high"
    if amount >= medium:
        return "medium"
    return "low"

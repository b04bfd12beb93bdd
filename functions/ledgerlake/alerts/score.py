"""Score alerts against the simulated company's ground truth (truth/problems.json).

A planted problem is *found* when an alert of the matching type cites at least one of the
problem's record ids in its evidence. An alert is a *true* alert when it cites a record of
a planted problem of its type; every other alert of a scored type is a false alert.
precision = true alerts / alerts raised; recall = problems found / problems planted.

Problem types are mapped to alert types by keywords, so the generator can name them
naturally ("duplicate_payment", "vendor_spike", ...); unknown types are listed, not hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Alert

# (alert type, keywords any of which in the problem type selects it) — first match wins.
TYPE_KEYWORDS = (
    ("duplicate_payment", ("duplicate_payment", "duplicate_bill", "double_pay", "paid_twice", "duplicate")),
    ("vendor_name_variants", ("vendor_name", "name_variant", "vendor_alias", "variant")),
    ("unusual_vendor_charge", ("unusual", "spike", "anomal", "overcharge", "outlier")),
    ("new_vendor_large_payment", ("new_vendor",)),
    ("won_deal_without_invoice", ("uninvoiced", "not_invoiced", "without_invoice", "no_invoice")),
    ("payout_without_deposit", ("payout", "deposit")),
    ("crm_out_of_sync", ("crm", "out_of_sync", "open_deal", "deal_open", "stale_deal")),
    ("cash_below_floor", ("runway", "cash_floor", "below_floor", "low_cash")),
    ("refund_not_in_ledger", ("refund",)),
)


def alert_type_for(problem_type: str) -> str | None:
    text = problem_type.lower()
    for alert_type, words in TYPE_KEYWORDS:
        if any(w in text for w in words):
            return alert_type
    return None


def _type(name: str | None) -> str:
    """'Invoices' / 'invoice' / 'Invoice' -> 'invoice' (truth files and marts name types differently)."""
    name = (name or "").lower()
    return name[:-1] if name.endswith("s") else name


def record_keys(record_type: str | None, record_id: str) -> set[str]:
    """How a record is matched: 'bill:123'. Ids that are unique on their own (GUIDs, Stripe's
    'po_...') also match bare; plain numbers never do, because QBO numbers each entity type
    separately (Bill 123 and BillPayment 123 are different records)."""
    record_id = str(record_id)
    keys = {f"{_type(record_type)}:{record_id}"} if record_type else set()
    if not record_id.isdigit():
        keys.add(record_id)
    return keys


def problem_keys(problem: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for rec in problem.get("records", []):
        keys |= record_keys(rec.get("resource") or rec.get("raw_entity"), rec["id"])
    return keys


def evidence_keys(evidence: list[dict[str, Any]]) -> set[str]:
    """Keys of an alert's evidence records (Evidence.to_json dicts); a source id written
    'Type:id' carries its own type."""
    keys: set[str] = set()
    for e in evidence:
        sid = str(e.get("source_id", ""))
        rtype = e.get("record_type")
        if ":" in sid:
            rtype, sid = sid.rsplit(":", 1)
        keys |= record_keys(rtype, sid)
    return keys


def load_problems(sim_dir: Path) -> list[dict[str, Any]]:
    doc = json.loads((Path(sim_dir) / "truth" / "problems.json").read_text())
    return doc["problems"] if isinstance(doc, dict) else doc


@dataclass
class TypeScore:
    alert_type: str
    planted: int
    found: int
    alerts: int
    true_alerts: int

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.true_alerts / self.alerts if self.alerts else None


def cited_ids(alert: Alert) -> tuple[str, set[str]]:
    """(alert type, keys of every record it cites) — what scoring needs from an alert."""
    return alert.type, evidence_keys([e.to_json() for e in alert.evidence])


def score(alerts: Iterable[tuple[str, set[str]]], problems: list[dict[str, Any]]) -> tuple[list[TypeScore], list[str]]:
    """`alerts`: (alert type, cited record keys) pairs, from `cited_ids` or the alerts table."""
    alerts = list(alerts)
    by_type: dict[str, list[set[str]]] = {}
    unmapped = []
    for p in problems:
        ptype = str(p.get("type") or p.get("kind") or "")
        atype = alert_type_for(ptype)
        if atype is None:
            unmapped.append(ptype)
            continue
        by_type.setdefault(atype, []).append(problem_keys(p))
    scores = []
    for atype in sorted({*by_type, *(t for t, _ in alerts)}):
        planted = by_type.get(atype, [])
        mine = [ids for t, ids in alerts if t == atype]
        found = sum(1 for ids in planted if any(ids & cited for cited in mine))
        true = sum(1 for cited in mine if any(ids & cited for ids in planted))
        scores.append(TypeScore(atype, len(planted), found, len(mine), true))
    return scores, sorted(set(unmapped))


def format_scores(scores: list[TypeScore]) -> str:
    pct = lambda x: "—" if x is None else f"{x:.0%}"  # noqa: E731
    lines = [
        "| alert type | planted | found | alerts raised | true alerts | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.alert_type} | {s.planted} | {s.found} | {s.alerts} | {s.true_alerts} | "
            f"{pct(s.precision)} | {pct(s.recall)} |"
        )
    planted = sum(s.planted for s in scores)
    scored = [s for s in scores if s.planted]
    alerts = sum(s.alerts for s in scored)
    true = sum(s.true_alerts for s in scored)
    found = sum(s.found for s in scores)
    lines.append(
        f"| **all planted types** | {planted} | {found} | {alerts} | {true} | "
        f"{pct(true / alerts if alerts else None)} | {pct(found / planted if planted else None)} |"
    )
    return "\n".join(lines)

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .model import Alert

# (alert type, keywords any of which in the problem type selects it) — first match wins.
TYPE_KEYWORDS = (
    ("duplicate_payment", ("duplicate_payment", "duplicate_bill", "double_pay", "paid_twice", "duplicate")),
    ("vendor_name_variants", ("vendor_name", "name_variant", "vendor_alias", "variant")),
    ("unusual_vendor_charge", ("unusual", "spike", "anomal", "overcharge", "outlier")),
    ("new_vendor_large_payment", ("new_vendor",)),
    ("won_deal_without_invoice", ("uninvoiced", "not_invoiced", "without_invoice", "no_invoice")),
    ("payout_without_deposit", ("payout", "deposit")),
    ("crm_out_of_sync", ("crm", "out_of_sync", "open_deal", "stale_deal")),
    ("cash_below_floor", ("runway", "cash_floor", "below_floor", "low_cash")),
)


def alert_type_for(problem_type: str) -> str | None:
    text = problem_type.lower()
    for alert_type, words in TYPE_KEYWORDS:
        if any(w in text for w in words):
            return alert_type
    return None


def _ids(value: Any, key: str = "") -> set[str]:
    """Every id-like string in a problem record (values under keys naming ids or records)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out |= _ids(v, k)
    elif isinstance(value, list):
        for v in value:
            out |= _ids(v, key)
    elif isinstance(value, (str, int)) and ("id" in key.lower() or "record" in key.lower() or "key" in key.lower()):
        out.add(str(value))
    return out


def _bare(identifier: str) -> set[str]:
    """'qbo:BillPayment:123' also matches '123' (truth files and marts prefix differently)."""
    parts = identifier.split(":")
    return {identifier, parts[-1]}


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
    """(alert type, every record id it cites) — what scoring needs from an alert."""
    return alert.type, {*alert.source_ids(), *alert.identity}


def score(alerts: Iterable[tuple[str, set[str]]], problems: list[dict[str, Any]]) -> tuple[list[TypeScore], list[str]]:
    """`alerts`: (alert type, cited record ids) pairs, from `cited_ids` or the alerts table."""
    alerts = [(t, set().union(*(_bare(s) for s in ids)) if ids else set()) for t, ids in alerts]
    by_type: dict[str, list[set[str]]] = {}
    unmapped = []
    for p in problems:
        ptype = str(p.get("type") or p.get("kind") or "")
        atype = alert_type_for(ptype)
        if atype is None:
            unmapped.append(ptype)
            continue
        ids = set().union(*(_bare(i) for i in _ids(p))) if _ids(p) else set()
        by_type.setdefault(atype, []).append(ids)
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
    lines = ["| alert type | planted | found | alerts raised | true alerts | precision | recall |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for s in scores:
        lines.append(f"| {s.alert_type} | {s.planted} | {s.found} | {s.alerts} | {s.true_alerts} | "
                     f"{pct(s.precision)} | {pct(s.recall)} |")
    planted = sum(s.planted for s in scores)
    scored = [s for s in scores if s.planted]
    alerts = sum(s.alerts for s in scored)
    true = sum(s.true_alerts for s in scored)
    found = sum(s.found for s in scores)
    lines.append(f"| **all planted types** | {planted} | {found} | {alerts} | {true} | "
                 f"{pct(true / alerts if alerts else None)} | {pct(found / planted if planted else None)} |")
    return "\n".join(lines)

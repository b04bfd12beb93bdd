"""Ground truth for polling tests, read straight from the version files (not through
the server): which (kind, id) each provider's API reports at a clock."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ledgerlake.simulate.engine import RESOURCES

# what the simulated company emits: its one home
XERO = RESOURCES["xero"]
QBO = RESOURCES["qbo"]


def _norm(name: str) -> str:
    text = name.lower().replace("_", "").replace("-", "")
    return text[:-1] if text.endswith("s") else text


# (source, normalised resource) -> (record kind, are deletes reported by the API?)
KINDS = {
    ("stripe", "event"): ("event", True),
    ("stripe", "balancetransaction"): ("balance_transaction", True),
    ("shopify", "order"): ("order", False),
    ("shopify", "payout"): ("payout", True),
    ("shopify", "balancetransaction"): ("balance_transaction", True),
    ("hubspot", "deal"): ("deal", False),
    ("hubspot", "companie"): ("company", False),
    ("hubspot", "pipeline"): ("pipeline", False),
    ("hubspot", "lineitem"): ("line_item", False),
    ("plaid", "transaction"): ("transaction", True),
    ("plaid", "account"): ("account", True),
    **{("qbo", _norm(e)): (e, True) for e in QBO},
    **{("xero", _norm(r)): (r[:-3] + "y" if r.endswith("ies") else r[:-1], True) for r in XERO},
    # budgets kept in the ledgers (QBO's query API, Xero's Budgets endpoint)
    ("qbo", "budget"): ("Budget", True),
    ("xero", "budget"): ("Budget", True),
}


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def latest_versions(sim_dir: Path, source: str, clock: float) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for path in sorted((Path(sim_dir) / "api" / source).glob("*.jsonl")):
        kind = KINDS.get((source, _norm(path.stem)))
        if kind is None:
            continue
        for line in path.read_text().splitlines():
            row = json.loads(line)
            at = _ts(row["at"])
            if at <= clock:
                key = (kind[0], str(row["id"]))
                if key not in out or out[key]["_at"] <= at:
                    out[key] = {**row, "_at": at, "_reports_deletes": kind[1]}
    return out


# kinds the poller lands beside another: every simulated line item belongs to a won deal, and
# the HubSpot poller reads each landed line item's deal association (v4 batch read)
DERIVED = {"line_item": "line_item_deal"}


def _with_derived(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return keys | {(DERIVED[kind], id_) for kind, id_ in keys if kind in DERIVED}


def expected(sim_dir: Path, source: str, clock: float) -> set[tuple[str, str]]:
    """Every (kind, id) a poll from empty at `clock` must land."""
    return _with_derived(
        {
            key
            for key, row in latest_versions(sim_dir, source, clock).items()
            if not row["deleted"] or row["_reports_deletes"]
        }
    )


def changed(sim_dir: Path, source: str, after: float, clock: float) -> set[tuple[str, str]]:
    """(kind, id) with a version in (after, clock]."""
    return _with_derived(
        {
            key
            for key, row in latest_versions(sim_dir, source, clock).items()
            if row["_at"] > after and (not row["deleted"] or row["_reports_deletes"])
        }
    )

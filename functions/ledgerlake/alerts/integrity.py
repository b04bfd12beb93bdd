"""The integrity marts' findings as alerts (one home for the cross-system checks: the marts
decide *what* is wrong; this only gives each finding a stable id, severity and evidence).

| mart                                    | alert type                 | identity            |
|-----------------------------------------|----------------------------|---------------------|
| integrity_won_deals_without_invoice     | won_deal_without_invoice   | the deal            |
| integrity_payouts_without_bank_deposit  | payout_without_deposit     | the payout          |
| integrity_paid_invoices_open_deals      | crm_out_of_sync            | the invoice + deal  |
| integrity_duplicate_vendors             | vendor_name_variants       | the supplier records|
| integrity_refunds_missing_from_ledger   | refund_not_in_ledger       | the refund(s)       |
| quarantine_records                      | records_quarantined        | the source's records|

(quarantine_records is not an integrity mart but is read the same way: one alert per
source with records the build set aside, each record's raw key and `ledgerlake quarantine
show` reference in the evidence.)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from .model import Alert, Evidence, severity_for
from .rules import AlertConfig
from .wording import day as fmt_day
from .wording import money

INTEGRITY_MARTS = (
    "integrity_won_deals_without_invoice",
    "integrity_payouts_without_bank_deposit",
    "integrity_paid_invoices_open_deals",
    "integrity_duplicate_vendors",
    "integrity_refunds_missing_from_ledger",
    "quarantine_records",
)


def _money(value) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def won_deals_without_invoice(
    frame: pl.DataFrame, config: AlertConfig, entity_for_currency: dict[str, str], as_of: date
) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("amount"))
        out.append(
            Alert(
                type="won_deal_without_invoice",
                severity=severity_for(amount, config.severity_high, config.severity_medium),
                entity=r.get("entity_id") or entity_for_currency.get(r.get("currency") or "", "unknown"),
                currency=r.get("currency") or "",
                amount=amount,
                occurred_on=r.get("close_date") or as_of,
                title=(
                    f"Won deal {r.get('deal_name') or r['deal_id']} ({money(amount, r.get('currency'))}) has no "
                    f"invoice {r.get('days_since_close') or 'some'} days after it closed on "
                    f"{fmt_day(r.get('close_date'))}"
                ),
                identity=(f"{r.get('source_system') or 'hubspot'}:{r['source_id']}",),
                evidence=(
                    Evidence(
                        "deal",
                        r.get("source_system") or "hubspot",
                        str(r["source_id"]),
                        r.get("raw_key"),
                        "deal",
                        r.get("close_date"),
                        amount,
                        r.get("currency"),
                    ),
                ),
                metrics={"days_since_close": r.get("days_since_close")},
            )
        )
    return out


def payouts_without_deposit(frame: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("amount"))
        out.append(
            Alert(
                type="payout_without_deposit",
                severity=severity_for(amount, config.severity_high, config.severity_medium),
                entity=r.get("entity_id") or "unknown",
                currency=r.get("currency") or "",
                amount=amount,
                occurred_on=r.get("expected_on") or as_of,
                title=(
                    f"{r['source_system'].capitalize()} payout {r['payout_id']} of {money(amount, r.get('currency'))} "
                    f"never reached the bank (expected {fmt_day(r.get('expected_on'), 'within a few days')})"
                ),
                identity=(f"{r['source_system']}:{r['payout_id']}",),
                evidence=(
                    Evidence(
                        "payout",
                        r["source_system"],
                        str(r["payout_id"]),
                        r.get("raw_key"),
                        "payout",
                        r.get("expected_on"),
                        amount,
                        r.get("currency"),
                    ),
                ),
            )
        )
    return out


def crm_out_of_sync(frame: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("total_amount"))
        out.append(
            Alert(
                type="crm_out_of_sync",
                severity="medium" if amount >= config.severity_medium else "low",
                entity=r.get("entity_id") or "unknown",
                currency=r.get("currency") or "",
                amount=amount,
                occurred_on=r.get("paid_on") or as_of,
                title=(
                    f"Invoice {r.get('document_number') or r['source_id']} is paid but its HubSpot deal "
                    f"{r.get('deal_name') or r['deal_id']} is still at '{r.get('stage_label') or 'an open stage'}'"
                ),
                identity=(f"{r['source_system']}:{r['source_id']}", f"hubspot:{r['deal_id']}"),
                evidence=(
                    Evidence(
                        "invoice",
                        r["source_system"],
                        str(r["source_id"]),
                        r.get("raw_key"),
                        "invoice",
                        r.get("paid_on"),
                        amount,
                        r.get("currency"),
                    ),
                    Evidence(
                        "deal", "hubspot", str(r["deal_id"]), None, "deal", detail={"stage": r.get("stage_label")}
                    ),
                ),
            )
        )
    return out


def vendor_name_variants(frame: pl.DataFrame, as_of: date) -> list[Alert]:
    out = []
    for (entity, key), g in frame.group_by("entity_id", "identity_key", maintain_order=True):
        rows = g.sort("contact_key").to_dicts()
        names = sorted({r["vendor_name"] for r in rows})
        out.append(
            Alert(
                type="vendor_name_variants",
                severity="low",
                entity=entity,
                currency="",
                amount=Decimal("0.00"),
                occurred_on=as_of,
                title=f"One vendor under {len(names)} names in {entity}: {', '.join(names)}",
                identity=tuple(r["contact_key"] for r in rows),
                evidence=tuple(
                    Evidence(
                        "supplier",
                        r["contact_key"].split(":", 1)[0],
                        r["contact_key"].split(":", 1)[-1],
                        r.get("raw_key"),
                        "vendor" if r["contact_key"].startswith("qbo:") else "contact",
                        detail={"name": r["vendor_name"]},
                    )
                    for r in rows
                ),
                metrics={"identity_key": key},
            )
        )
    return out


def refunds_not_in_ledger(frame: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    """One alert per refund the mart pins down (`match_basis` exact_amount: its amount is its
    day's shortfall); when no single refund explains a short day, the mart lists every refund
    of that day and they make one alert for the shortfall (the money at stake is the
    shortfall, not the sum of the suspects)."""
    groups: dict[tuple, list[dict]] = {}
    for r in frame.sort("refund_key").iter_rows(named=True):
        key = (
            (r["refund_key"],)
            if r.get("match_basis") == "exact_amount"
            else (r["source_system"], r.get("entity_id"), r.get("refunded_on"))
        )
        groups.setdefault(key, []).append(r)
    out = []
    for rows in groups.values():
        first = rows[0]
        system, currency, day = first["source_system"], first.get("currency") or "", first.get("refunded_on")
        amount = _money(first.get("amount") if len(rows) == 1 else first.get("day_shortfall"))
        parent_type = "charge" if system == "stripe" else "order"
        if len(rows) == 1:
            title = (
                f"{system.capitalize()} refund {first['refund_id']} of {money(amount, currency)} "
                f"({parent_type} {first.get('parent_id') or 'unknown'}) is not in the ledger (the ledger has "
                f"{money(_money(first.get('day_booked')) or 0, currency)} of "
                f"{money(_money(first.get('day_refunded')), currency)} refunded on {fmt_day(day)})"
            )
        else:
            title = (
                f"{money(amount, currency)} of {system.capitalize()} refunds on {fmt_day(day)} are not in the ledger "
                f"({len(rows)} refunds that day, none matches the shortfall alone)"
            )
        evidence = []
        for r in rows:
            evidence.append(
                Evidence(
                    "refund",
                    system,
                    str(r["refund_id"]),
                    r.get("raw_key"),
                    "refund",
                    r.get("refunded_on"),
                    _money(r.get("amount")),
                    r.get("currency"),
                )
            )
            if r.get("parent_id"):
                evidence.append(Evidence(parent_type, system, str(r["parent_id"]), None, parent_type))
        out.append(
            Alert(
                type="refund_not_in_ledger",
                severity=severity_for(amount, config.severity_high, config.severity_medium),
                entity=first.get("entity_id") or "unknown",
                currency=currency,
                amount=amount,
                occurred_on=day or as_of,
                title=title,
                identity=tuple(f"{system}:{r['refund_id']}" for r in rows),
                evidence=tuple(evidence),
                metrics={
                    "match_basis": first.get("match_basis"),
                    "day_refunded": str(_money(first.get("day_refunded"))),
                    "day_booked": str(_money(first.get("day_booked"))),
                    "day_shortfall": str(_money(first.get("day_shortfall"))),
                    "days_since_refund": first.get("days_since_refund"),
                },
            )
        )
    return out


def records_quarantined(frame: pl.DataFrame, as_of: date) -> list[Alert]:
    """One alert per source whose records the build set aside (marts.quarantine_records).
    It carries no money (amount 0, in the reporting currency, so every surface can show it)."""
    from ..config import Settings

    currency = Settings.from_env().reporting_currency
    out = []
    for (source,), rows in frame.sort("quarantine_key").group_by(["source_system"], maintain_order=True):
        reasons = sorted({r for r in rows["reason_code"].to_list() if r})
        entities = sorted({e for e in rows["entity_id"].to_list() if e})
        out.append(
            Alert(
                type="records_quarantined",
                severity="medium",
                entity=entities[0] if len(entities) == 1 else "all",
                currency=currency,
                amount=Decimal("0.00"),
                occurred_on=as_of,
                title=f"{rows.height} {source} record(s) quarantined ({', '.join(reasons)}): "
                f"`ledgerlake quarantine list --source {source}`",
                identity=tuple(f"{source}:{k}" for k in rows["quarantine_key"].to_list()),
                evidence=tuple(
                    Evidence(
                        "quarantined",
                        source,
                        str(r["source_id"] or r["quarantine_key"]),
                        r["raw_key"],
                        r["entity"],
                        detail={
                            "reason": r["reason"],
                            "tenant_id": r["tenant_id"],
                            "show": f"ledgerlake quarantine show {r['quarantine_key'][:12]}",
                        },
                    )
                    for r in rows.iter_rows(named=True)
                ),
                metrics={"records": rows.height},
            )
        )
    return out


def integrity_alerts(
    frames: dict[str, pl.DataFrame], config: AlertConfig, entity_for_currency: dict[str, str], as_of: date
) -> list[Alert]:
    f = lambda name: frames.get(name, pl.DataFrame())  # noqa: E731
    return [
        *(
            won_deals_without_invoice(f(INTEGRITY_MARTS[0]), config, entity_for_currency, as_of)
            if not f(INTEGRITY_MARTS[0]).is_empty()
            else []
        ),
        *(
            payouts_without_deposit(f(INTEGRITY_MARTS[1]), config, as_of)
            if not f(INTEGRITY_MARTS[1]).is_empty()
            else []
        ),
        *(crm_out_of_sync(f(INTEGRITY_MARTS[2]), config, as_of) if not f(INTEGRITY_MARTS[2]).is_empty() else []),
        *(vendor_name_variants(f(INTEGRITY_MARTS[3]), as_of) if not f(INTEGRITY_MARTS[3]).is_empty() else []),
        *(refunds_not_in_ledger(f(INTEGRITY_MARTS[4]), config, as_of) if not f(INTEGRITY_MARTS[4]).is_empty() else []),
        *(records_quarantined(f(INTEGRITY_MARTS[5]), as_of) if not f(INTEGRITY_MARTS[5]).is_empty() else []),
    ]

"""The integrity marts' findings as alerts (one home for the cross-system checks: the marts
decide *what* is wrong; this only gives each finding a stable id, severity and evidence).

| mart                                    | alert type                 | identity            |
|-----------------------------------------|----------------------------|---------------------|
| integrity_won_deals_without_invoice     | won_deal_without_invoice   | the deal            |
| integrity_payouts_without_bank_deposit  | payout_without_deposit     | the payout          |
| integrity_paid_invoices_open_deals      | crm_out_of_sync            | the invoice + deal  |
| integrity_duplicate_vendors             | vendor_name_variants       | the supplier records|
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from .model import Alert, Evidence, severity_for
from .rules import AlertConfig

INTEGRITY_MARTS = (
    "integrity_won_deals_without_invoice",
    "integrity_payouts_without_bank_deposit",
    "integrity_paid_invoices_open_deals",
    "integrity_duplicate_vendors",
)


def _money(value) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def won_deals_without_invoice(frame: pl.DataFrame, config: AlertConfig, entity_for_currency: dict[str, str],
                              as_of: date) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("amount"))
        out.append(Alert(
            type="won_deal_without_invoice",
            severity=severity_for(amount, config.severity_high, config.severity_medium),
            entity=r.get("entity_id") or entity_for_currency.get(r.get("currency") or "", "unknown"),
            currency=r.get("currency") or "", amount=amount, occurred_on=r.get("close_date") or as_of,
            title=f"Won deal {r.get('deal_name') or r['deal_id']} ({amount} {r.get('currency')}) has no invoice "
                  f"{r.get('days_since_close')} days after closing",
            identity=(f"{r.get('source_system') or 'hubspot'}:{r['source_id']}",),
            evidence=(Evidence("deal", r.get("source_system") or "hubspot", str(r["source_id"]), r.get("raw_key"),
                               "deal", r.get("close_date"), amount, r.get("currency")),),
            metrics={"days_since_close": r.get("days_since_close")},
        ))
    return out


def payouts_without_deposit(frame: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("amount"))
        out.append(Alert(
            type="payout_without_deposit",
            severity=severity_for(amount, config.severity_high, config.severity_medium),
            entity=r.get("entity_id") or "unknown", currency=r.get("currency") or "", amount=amount,
            occurred_on=r.get("expected_on") or as_of,
            title=f"{r['source_system']} payout {r['payout_id']} of {amount} {r.get('currency')} "
                  f"never reached the bank (expected {r.get('expected_on')})",
            identity=(f"{r['source_system']}:{r['payout_id']}",),
            evidence=(Evidence("payout", r["source_system"], str(r["payout_id"]), r.get("raw_key"), "payout",
                               r.get("expected_on"), amount, r.get("currency")),),
        ))
    return out


def crm_out_of_sync(frame: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    out = []
    for r in frame.iter_rows(named=True):
        amount = _money(r.get("total_amount"))
        out.append(Alert(
            type="crm_out_of_sync", severity="medium" if amount >= config.severity_medium else "low",
            entity=r.get("entity_id") or "unknown", currency=r.get("currency") or "", amount=amount,
            occurred_on=r.get("paid_on") or as_of,
            title=f"Invoice {r.get('document_number')} is paid but its HubSpot deal {r['deal_id']} is still "
                  f"'{r.get('stage_label')}'",
            identity=(f"{r['source_system']}:{r['source_id']}", f"hubspot:{r['deal_id']}"),
            evidence=(
                Evidence("invoice", r["source_system"], str(r["source_id"]), r.get("raw_key"), "invoice",
                         r.get("paid_on"), amount, r.get("currency")),
                Evidence("deal", "hubspot", str(r["deal_id"]), None, "deal",
                         detail={"stage": r.get("stage_label")}),
            ),
        ))
    return out


def vendor_name_variants(frame: pl.DataFrame, as_of: date) -> list[Alert]:
    out = []
    for (entity, key), g in frame.group_by("entity_id", "identity_key", maintain_order=True):
        rows = g.sort("contact_key").to_dicts()
        names = sorted({r["vendor_name"] for r in rows})
        out.append(Alert(
            type="vendor_name_variants", severity="low", entity=entity, currency="", amount=Decimal("0.00"),
            occurred_on=as_of, title=f"One vendor under {len(names)} names in {entity}: {', '.join(names)}",
            identity=tuple(r["contact_key"] for r in rows),
            evidence=tuple(
                Evidence("supplier", r["contact_key"].split(":", 1)[0], r["contact_key"].split(":", 1)[-1],
                         r.get("raw_key"), "vendor" if r["contact_key"].startswith("qbo:") else "contact",
                         detail={"name": r["vendor_name"]})
                for r in rows
            ),
            metrics={"identity_key": key},
        ))
    return out


def integrity_alerts(frames: dict[str, pl.DataFrame], config: AlertConfig, entity_for_currency: dict[str, str],
                     as_of: date) -> list[Alert]:
    f = lambda name: frames.get(name, pl.DataFrame())  # noqa: E731
    return [
        *(won_deals_without_invoice(f(INTEGRITY_MARTS[0]), config, entity_for_currency, as_of)
          if not f(INTEGRITY_MARTS[0]).is_empty() else []),
        *(payouts_without_deposit(f(INTEGRITY_MARTS[1]), config, as_of) if not f(INTEGRITY_MARTS[1]).is_empty() else []),
        *(crm_out_of_sync(f(INTEGRITY_MARTS[2]), config, as_of) if not f(INTEGRITY_MARTS[2]).is_empty() else []),
        *(vendor_name_variants(f(INTEGRITY_MARTS[3]), as_of) if not f(INTEGRITY_MARTS[3]).is_empty() else []),
    ]

"""How alerts read: money formatted as a reader writes it, and what to do about each kind.

Titles say what happened in words and formatted money ("$48,500.00", never "48500.00 USD",
"z=43.4" or "None"); `NEXT_STEP` says what to do. One home for both: the rules build their
titles with `money`/`day`, the dashboard and the weekly email show `next_step(rule)`.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ..money import SYMBOLS

NEXT_STEP: dict[str, str] = {
    "duplicate_payment": "Check both payments with the vendor and ask for the second one back (or a credit).",
    "unusual_vendor_charge": "Check the invoice behind the charge with whoever owns this vendor; "
    "dispute it if it is wrong.",
    "new_vendor_large_payment": "Confirm the new vendor is genuine (contract, bank details) before paying them again.",
    "cash_below_floor": "Plan for the shortfall now: move cash between entities, draw on a facility, "
    "or delay discretionary spend.",
    "won_deal_without_invoice": "Raise the invoice for the won deal (or correct the deal if it was not won).",
    "payout_without_deposit": "Ask the payment provider where the payout went; check the bank account it pays into.",
    "crm_out_of_sync": "Move the HubSpot deal to Closed won so the pipeline and forecast stop counting it.",
    "vendor_name_variants": "Merge the vendor records into one in the ledger so spend and alerts see one vendor.",
    "refund_not_in_ledger": "Book the refund in the ledger (a credit note or refund receipt) "
    "so revenue is not overstated.",
    "records_quarantined": "Run `ledgerlake quarantine show` on each record, fix its cause (a missing account, rate "
    "or tenant mapping; or the record at the provider), then `ledgerlake quarantine release` it.",
    "fx_rates_stale": "Check the ECB poller's last run (`ledgerlake poll ecb`); upload today's rates as an override "
    "file if the feed is down.",
}


def next_step(rule: str | None) -> str:
    return NEXT_STEP.get(rule or "", "Open the evidence on the dashboard and decide whether it needs action.")


def money(amount: Any, currency: str | None) -> str:
    """Decimal → '$48,500.00' / '-£1,200.50' / '1,000.00 CHF'; 'an unknown amount' for None."""
    if amount is None:
        return "an unknown amount"
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    sign = "-" if value < 0 else ""
    body = f"{abs(value):,.2f}"
    symbol = SYMBOLS.get((currency or "").upper())
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}".rstrip()


def day(value: date | str | None, missing: str = "an unknown date") -> str:
    """'3 Nov 2026' (or `missing` for None)."""
    if value is None:
        return missing
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"


def times_usual(amount: Any, usual: Any) -> str:
    """'about 40 times its usual' — a robust z-score said in words."""
    try:
        ratio = Decimal(str(amount)) / Decimal(str(usual))
    except Exception:  # noqa: BLE001 - usual is zero or missing
        return "far above its usual"
    return f"{ratio:.0f} times its usual" if ratio >= 2 else "well above its usual"

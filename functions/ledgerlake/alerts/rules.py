"""The alert rules. Each takes polars frames, returns `Alert`s; money stays Decimal.

Payments frame (one row per outgoing payment to a vendor), columns:
    entity, currency, source_system, source_id, raw_key, record_type,
    vendor_name, paid_on (Date), amount (Decimal, positive), invoice_number (nullable),
    and optionally document_keys (list of "system:Type:id" of the bills it paid), which
    become evidence too, so an alert leads to the bill as well as to the payment.

The vendor is the marts' (vendors.py): from the marts, `vendor_key` is the payment's
`party_key` and `vendor_name` its `party_name`, with the name on the ledger's contact in
`document_vendor_name`; a frame built without marts (the simulator's raw frames) takes it
first from the same rule, run over its names (`identities.with_vendor_keys`): the rules
refuse a frame without it rather than resolve names themselves.
"""

from __future__ import annotations

import functools
import math
import os
import re
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from .model import Alert, Evidence, severity_for
from .vendors import require_vendor_keys, typo_families
from .wording import day, money, times_usual

# Required; `vendor_key`, `document_vendor_name` and `document_keys` are optional (module doc).
PAYMENT_COLUMNS = (
    "entity",
    "currency",
    "source_system",
    "source_id",
    "raw_key",
    "record_type",
    "vendor_name",
    "paid_on",
    "amount",
    "invoice_number",
)
MAD_TO_SIGMA = Decimal("1.4826")  # MAD of a normal distribution * 1.4826 = its sigma


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds. Money thresholds are in the payment's own (entity) currency."""

    duplicate_window_days: int = 5  # same vendor + same amount within this many days
    invoice_window_days: int = 120  # near-identical invoice numbers + same amount within this
    # Below this, a same-amount match with no shared invoice number is not raised: small card
    # spend repeats amounts by chance (two GBP 60.92 Tesco lines a day apart), and a double
    # card charge is disputed with the card issuer, not found in accounts payable.
    duplicate_floor: Decimal = Decimal("500")
    z_threshold: Decimal = Decimal("3.5")  # robust z-score above which a charge is unusual
    charge_floor: Decimal = Decimal("1000")  # ...and only if it exceeds the usual by this much
    relative_floor: Decimal = Decimal("0.05")  # spread never taken below 5 % of the median
    min_history: int = 4  # prior payments needed before a vendor has a "usual"
    history_window: int = 12  # the usual is the median of the last N payments
    spread_window: int = 36  # ...and its spread is learnt from the last N (a stable estimate)
    new_vendor_threshold: Decimal = Decimal("10000")
    new_vendor_warmup_days: int = 60  # vendors first paid in the data's first N days are not new
    severity_high: Decimal = Decimal("10000")
    severity_medium: Decimal = Decimal("1000")
    cash_floor: dict[str, Decimal] = field(default_factory=dict)  # entity (or "consolidated") -> floor
    default_cash_floor: Decimal = Decimal("100000")

    @classmethod
    def from_env(cls) -> AlertConfig:
        """`LEDGERLAKE_CASH_FLOOR=100000` (each entity, own currency) and/or
        `LEDGERLAKE_CASH_FLOOR_<ENTITY>=...` (e.g. `_CONSOLIDATED`, in reporting currency)."""
        floors = {
            k[len("LEDGERLAKE_CASH_FLOOR_") :].lower(): Decimal(v)
            for k, v in os.environ.items()
            if k.startswith("LEDGERLAKE_CASH_FLOOR_") and v
        }
        default = Decimal(os.environ.get("LEDGERLAKE_CASH_FLOOR", cls.default_cash_floor))
        return cls(cash_floor=floors, default_cash_floor=default)

    def floor_for(self, entity: str) -> Decimal:
        return self.cash_floor.get(entity.lower(), self.default_cash_floor)


def _evidence(row: dict, role: str) -> tuple[Evidence, ...]:
    docs = tuple(
        Evidence(
            role=f"{role} document",
            source_system=key.split(":")[0],
            source_id=key.split(":")[-1],
            record_type=key.split(":")[1] if key.count(":") >= 2 else None,
        )
        for key in (row.get("document_keys") or [])
    )
    return (_payment_evidence(row, role), *docs)


def _payment_evidence(row: dict, role: str) -> Evidence:
    return Evidence(
        role=role,
        source_system=row["source_system"],
        source_id=row["source_id"],
        raw_key=row.get("raw_key"),
        record_type=row.get("record_type"),
        occurred_on=row["paid_on"],
        amount=row["amount"],
        currency=row["currency"],
        detail={
            k: row[k]
            for k in ("vendor_name", "document_vendor_name", "invoice_number")
            if row.get(k) and not (k == "document_vendor_name" and row[k] == row["vendor_name"])
        },
    )


def _by_vendor(payments: pl.DataFrame, family: dict[str, str] | None = None) -> dict[tuple[str, str, str], list[dict]]:
    """Payments grouped by (entity, currency, vendor identity), oldest first; or by the
    identity's `family` (vendor_key -> family key) when given."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for row in require_vendor_keys(payments).sort("paid_on", "source_id").iter_rows(named=True):
        vendor = row["vendor_key"] if family is None else family[row["vendor_key"]]
        groups.setdefault((row["entity"], row["currency"], vendor), []).append(row)
    return groups


def _invoice_core(number: str | None) -> str:
    """Invoice numbers compared without case, punctuation or leading zeros."""
    if not number:
        return ""
    return re.sub(r"[^a-z0-9]", "", number.casefold()).lstrip("0")


def near_identical_invoices(a: str | None, b: str | None) -> bool:
    """'INV-00123' ~ 'inv 123' ~ '123' ~ 'INV-123A'; but never 'INV-123' ~ 'INV-124'.

    Sequential invoice numbers differ in their digits, so only differences outside the
    digits (prefixes, separators, a trailing letter) count as "near-identical".
    """
    ca, cb = _invoice_core(a), _invoice_core(b)
    if not ca or not cb:
        return False
    if ca == cb:
        return True
    da, db = re.sub(r"\D", "", ca).lstrip("0"), re.sub(r"\D", "", cb).lstrip("0")
    return len(da) >= 3 and da == db


def _shared_references(rows: list[dict]) -> set[str]:
    """Invoice-number cores that do not identify one bill: no digit at all ("Card", "DD"), or
    carried by payments of different amounts to the vendor (a card's last four digits, a
    standing reference). Two payments sharing one of these are not the same invoice."""
    amounts: dict[str, set[Decimal]] = {}
    for row in rows:
        amounts.setdefault(_invoice_core(row.get("invoice_number")), set()).add(row["amount"])
    return {core for core, seen in amounts.items() if not re.search(r"\d", core) or len(seen) > 1}


def duplicate_payments(payments: pl.DataFrame, config: AlertConfig) -> list[Alert]:
    """A later payment that repeats an earlier one to the same vendor.

    The same vendor here is the same identity, or two identities whose names differ by a typo
    (`vendors.typo_families`): a duplicate supplier record is how a bill gets paid twice.
    Exact: same vendor and amount, and the same invoice number or the same day.
    Fuzzy: same vendor and amount within `duplicate_window_days`, or near-identical
    invoice numbers within `invoice_window_days`. A monthly repeat on schedule (another
    invoice number, a month apart) matches none of these. A reference that does not identify
    one bill (see `_shared_references`) counts as no invoice number.
    """
    payments = require_vendor_keys(payments)
    alerts = []
    for (entity, currency, _), rows in _by_vendor(payments, typo_families(payments["vendor_key"])).items():
        shared = _shared_references(rows)
        for j, later in enumerate(rows):
            for earlier in reversed(rows[:j]):  # nearest first
                if earlier["amount"] != later["amount"]:
                    continue
                gap = (later["paid_on"] - earlier["paid_on"]).days
                core = _invoice_core(later.get("invoice_number"))
                same_invoice = (
                    bool(core) and core not in shared and _invoice_core(earlier.get("invoice_number")) == core
                )
                if not same_invoice and later["amount"] < config.duplicate_floor:
                    continue
                if same_invoice or gap == 0:
                    match = "exact"
                elif gap <= config.duplicate_window_days:
                    match = f"same amount within {config.duplicate_window_days} days"
                elif (
                    gap <= config.invoice_window_days
                    and core not in shared
                    and near_identical_invoices(earlier.get("invoice_number"), later.get("invoice_number"))
                ):
                    match = "near-identical invoice number"
                else:
                    continue
                # paid under another, near-identical vendor record: say which
                also = (
                    f" (also paid as {earlier['vendor_name']})" if earlier["vendor_key"] != later["vendor_key"] else ""
                )
                alerts.append(
                    Alert(
                        type="duplicate_payment",
                        severity=severity_for(later["amount"], config.severity_high, config.severity_medium),
                        entity=entity,
                        currency=currency,
                        amount=later["amount"],
                        occurred_on=later["paid_on"],
                        title=(
                            f"Possibly paid {later['vendor_name']} twice: {money(later['amount'], currency)} on "
                            f"{day(later['paid_on'])}, {gap} days after the same payment ({match.replace('_', ' ')})"
                            f"{also}"
                        ),
                        identity=(later["source_id"],),
                        evidence=(*_evidence(earlier, "original"), *_evidence(later, "duplicate")),
                        metrics={
                            "match": match,
                            "days_apart": gap,
                            "vendor": later["vendor_key"],
                            **({"original_vendor": earlier["vendor_key"]} if also else {}),
                        },
                    )
                )
                break  # one alert per duplicate payment, against its nearest original
    return alerts


@functools.cache
def _centre_inflation(n: int) -> Decimal:
    return (1 + Decimal(math.pi) / (2 * n)).sqrt()


@functools.cache
def _small_sample_threshold(z: Decimal, n: int) -> Decimal:
    """The z a charge must reach when the spread was learnt from only `n` payments: the
    Student-t quantile (n - 1 degrees of freedom) with the normal tail probability of `z`.
    A vendor with 4 payments needs z ~ 17, with 12 ~ 4.9, with 36 ~ 3.9: four similar
    amounts say little about how much the next one may vary (the few-sample spread is often
    near 0), so the same "3.5 sigma" would alert on ordinary variation."""
    from scipy.stats import norm, t  # scipy ships with statsforecast / scikit-learn

    return Decimal(str(float(t.isf(norm.sf(float(z)), max(n - 1, 1)))))


def _log_spread(amounts: list[Decimal], floor: Decimal) -> Decimal:
    """The spread of ln(amount): the standard deviation of the logs, never below
    ln(1 + floor). Not the MAD: on a few dozen payments the MAD swings by a third (it uses a
    third of the information), and a window that happens to be tight turned ordinary ad spend
    into alerts. Robustness comes from leaving out the charges already flagged (the caller)."""
    logs = [a.ln() for a in amounts]
    return max(statistics.stdev(logs) if len(logs) > 1 else Decimal(0), (1 + floor).ln())


def unusual_vendor_charges(payments: pl.DataFrame, config: AlertConfig) -> list[Alert]:
    """A charge far above the vendor's own usual amount (robust z-score, with a money floor).

    Measured on the ratio scale: spend varies by multiples (an ad budget, usage billing),
    so z = ln(charge / usual) / spread. usual = median of the vendor's previous
    `history_window` payments (it follows growth); spread = the robust spread of the logs of
    its previous `spread_window` payments (`_log_spread`), never below ln(1 + `relative_floor`)
    (a fixed subscription has a spread of 0, and a 3 % price rise is not an incident). So a
    variable-spend vendor (ads at 0.5x-2x their median) is learnt as such and its 3x month is
    ordinary, while a bill steady within 10 % that triples stands out. Alerts when
    z >= `z_threshold` and the excess >= `charge_floor`. Only charges above the usual alert:
    paying a vendor less is not the risk this rule is for.
    """
    alerts = []
    for (entity, currency, vendor), rows in _by_vendor(payments).items():
        flagged: set[int] = set()  # a flagged charge is not the vendor's usual variation
        for j, row in enumerate(rows):
            window = range(max(0, j - config.spread_window), j)
            prior = [rows[k]["amount"] for k in window if k not in flagged and rows[k]["amount"] > 0]
            if len(prior) < config.min_history or row["amount"] <= 0:
                continue
            recent = prior[-config.history_window :]
            median = statistics.median(recent)
            spread = _log_spread(prior, config.relative_floor)
            mad = statistics.median(abs(a - median) for a in recent)
            excess = row["amount"] - median
            # The usual is itself a median of len(recent) draws: its own uncertainty widens the
            # spread a new charge is judged against (variance of a median ~ pi/2 x sigma^2 / n).
            z = (row["amount"] / median).ln() / (spread * _centre_inflation(len(recent)))
            threshold = _small_sample_threshold(config.z_threshold, len(prior))
            if z < threshold or excess < config.charge_floor:
                continue
            flagged.add(j)
            alerts.append(
                Alert(
                    type="unusual_vendor_charge",
                    severity=severity_for(excess, config.severity_high, config.severity_medium),
                    entity=entity,
                    currency=currency,
                    amount=row["amount"],
                    occurred_on=row["paid_on"],
                    title=(
                        f"{row['vendor_name']} charged {money(row['amount'], currency)} on {day(row['paid_on'])}, "
                        f"{times_usual(row['amount'], median)} {money(median, currency)}"
                    ),
                    identity=(row["source_id"],),
                    evidence=_evidence(row, "charge"),
                    metrics={
                        "vendor": vendor,
                        "usual": str(median),
                        "mad": str(mad),
                        "excess": str(excess),
                        "log_spread": str(spread.quantize(Decimal("0.001"))),
                        "robust_z": str(z.quantize(Decimal("0.1"))),
                        "threshold": str(threshold.quantize(Decimal("0.1"))),
                        "history": len(prior),
                    },
                )
            )
    return alerts


def new_vendor_large_payments(payments: pl.DataFrame, config: AlertConfig) -> list[Alert]:
    """The first payment to a vendor never paid before, when it is large.

    Vendors first paid in the data's first `new_vendor_warmup_days` are the existing
    supplier base, not new. The vendor is the identity across entities and name variants, so
    the US entity paying "Amazon.com" for the first time is not a new vendor.
    """
    if payments.is_empty():
        return []
    payments = require_vendor_keys(payments)
    start = payments["paid_on"].min() + timedelta(days=config.new_vendor_warmup_days)
    first_by_vendor: dict[str, date] = {}
    for row in payments.sort("paid_on").iter_rows(named=True):
        first_by_vendor.setdefault(row["vendor_key"], row["paid_on"])
    alerts = []
    for (entity, currency, vendor), rows in _by_vendor(payments).items():
        first = rows[0]
        if first_by_vendor[vendor] < start or first["paid_on"] != first_by_vendor[vendor]:
            continue
        if first["amount"] < config.new_vendor_threshold:
            continue
        alerts.append(
            Alert(
                type="new_vendor_large_payment",
                severity=severity_for(first["amount"], config.severity_high, config.severity_medium),
                entity=entity,
                currency=currency,
                amount=first["amount"],
                occurred_on=first["paid_on"],
                title=(
                    f"First payment to a new vendor, {first['vendor_name']}: {money(first['amount'], currency)} "
                    f"on {day(first['paid_on'])}"
                ),
                identity=(first["source_id"],),
                evidence=_evidence(first, "payment"),
                metrics={"vendor": vendor, "threshold": str(config.new_vendor_threshold)},
            )
        )
    return alerts


def runway(forecast: pl.DataFrame, config: AlertConfig, as_of: date) -> list[Alert]:
    """Cash projected below the floor within the forecast horizon (13 weeks).

    `forecast` is cash_forecast_daily: entity_id, currency, forecast_date, p10/p50/p90 (Decimal).
    High when the median path crosses the floor, medium when only the pessimistic (p10)
    path does. The id is per entity and floor breach *kind*, not per date, so a breach
    that moves by a day between runs stays the same alert.
    """
    alerts = []
    for (entity, currency), rows in forecast.sort("forecast_date").group_by(
        ["entity_id", "currency"], maintain_order=True
    ):
        floor = config.floor_for(entity)
        for column, severity in (("p50", "high"), ("p10", "medium")):
            below = rows.filter(pl.col(column) < floor)
            if below.is_empty():
                continue
            first = below.row(0, named=True)
            low = rows.sort(column).row(0, named=True)
            alerts.append(
                Alert(
                    type="cash_below_floor",
                    severity=severity,
                    entity=entity,
                    currency=currency,
                    amount=low[column],
                    occurred_on=first["forecast_date"],
                    title=(
                        f"{entity}: forecast cash ({column}) falls to {money(first[column], currency)} on "
                        f"{day(first['forecast_date'])}, below the {money(floor, currency)} floor"
                    ),
                    identity=(f"{entity}:{column}",),
                    evidence=(
                        Evidence(
                            role="forecast",
                            source_system="ledgerlake.forecast",
                            source_id=f"cash_forecast_daily:{entity}:{first['forecast_date']}",
                            record_type="cash_forecast_daily",
                            occurred_on=first["forecast_date"],
                            amount=first[column],
                            currency=currency,
                        ),
                    ),
                    metrics={
                        "floor": str(floor),
                        "as_of": as_of.isoformat(),
                        "path": column,
                        "lowest": str(low[column]),
                        "lowest_on": low["forecast_date"].isoformat(),
                    },
                )
            )
            break  # the median breach says it all; the p10 one only when p50 stays above
    return alerts


def all_payment_alerts(payments: pl.DataFrame, config: AlertConfig) -> list[Alert]:
    payments = require_vendor_keys(payments)
    return [
        *duplicate_payments(payments, config),
        *unusual_vendor_charges(payments, config),
        *new_vendor_large_payments(payments, config),
    ]

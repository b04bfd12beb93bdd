"""Read the forecaster's inputs from the marts.

One connection serves both places the marts live: the local DuckDB warehouse
(`marts.<name>` tables) or, in the forecaster Lambda, views named the same over the
published Parquet (`s3://{marts}/marts/{name}/{name}.parquet`). Every input is read
defensively: a mart that does not exist yet yields an empty frame and a line in
`ForecastInputs.missing`, so a partial warehouse still forecasts what it can and says
what it could not.

Cash flows come from the general ledger's bank lines, netted per document (so transfers
between an entity's own accounts cancel out), and are classified by document type:

| bank document                                  | role                                   |
|------------------------------------------------|----------------------------------------|
| QBO Payment, Xero Payment into the bank        | AR collection (history for delays)     |
| QBO BillPayment / Purchase, Xero Payment out / SPEND | vendor payment (alerts; recurring series) |
| QBO JournalEntry, Xero ManualJournal out       | payroll / other recurring              |
| QBO Deposit / SalesReceipt, Xero RECEIVE naming a payout or a clearing account | unscheduled sales (payouts: card and shop sales net of refunds and fees) |
"""  # noqa: E501 - a markdown table row cannot wrap

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from ..alerts.fx import stale_fx_rates
from ..alerts.integrity import INTEGRITY_MARTS, integrity_alerts
from ..alerts.rules import AlertConfig
from .history import CREDIT_SCHEMA, DOCUMENT_SCHEMA, FX_SCHEMA, RECURRING_SCHEMA
from .run import EntityInfo, ForecastInputs

log = logging.getLogger(__name__)

MARTS = "marts"
COUNTRY = {"USD": "US", "GBP": "GB", "EUR": None, "CAD": "CA"}
PAYROLL_WORDS = ("payroll", "salar", "wage", "paye", "pension", "national insurance")
VENDOR_DOCS = ("BillPayment", "Purchase", "Payment", "BankTransaction")
SALES_DOCS = ("Deposit", "SalesReceipt", "BankTransaction")


# Published beside the marts (transform.runner.SUPPORT_TABLES) and read by the forecaster.
SUPPORT_READ = ("seeds.intercompany_accounts",)


def connect(warehouse: Path | None, settings) -> duckdb.DuckDBPyConnection:  # noqa: F821
    """The warehouse file if it exists, else views over the published Parquet on S3."""
    from ..lake import duckdb_connect

    if warehouse is not None and Path(warehouse).exists():
        return duckdb_connect(str(warehouse), read_only=True, settings=settings)
    conn = duckdb_connect(":memory:", settings=settings)
    conn.execute(f"create schema {MARTS}")
    from ..lake import s3_client

    s3 = s3_client(settings)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=settings.marts_bucket, Prefix=f"{MARTS}/")
    for page in pages:
        for obj in page.get("Contents", []):
            parts = obj["Key"].split("/")
            if len(parts) == 3 and parts[2] == parts[1] + ".parquet":
                conn.execute(
                    f'create view {MARTS}."{parts[1]}" as select * from read_parquet('
                    f"'s3://{settings.marts_bucket}/{obj['Key']}')"
                )
            elif len(parts) == 4 and ".".join(parts[1:3]) in SUPPORT_READ and parts[3] == parts[2] + ".parquet":
                conn.execute(f"create schema if not exists {parts[1]}")
                conn.execute(
                    f'create view {parts[1]}."{parts[2]}" as select * from read_parquet('
                    f"'s3://{settings.marts_bucket}/{obj['Key']}')"
                )
    return conn


class _Reader:
    def __init__(self, conn):
        self.conn = conn
        self.missing: list[str] = []
        self.tables = {
            f"{s}.{t}"
            for s, t in conn.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }

    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    def frame(self, sql: str, needs: tuple[str, ...], what: str, params=None) -> pl.DataFrame | None:
        if not self.has(*needs):
            self.missing.append(f"{what}: needs {', '.join(n for n in needs if n not in self.tables)}")
            return None
        # a table, not .arrow()'s batch reader: an empty result (an integrity mart with
        # nothing to report) has no batch, and polars needs one or a schema
        return pl.from_arrow(self.conn.execute(sql, params or []).to_arrow_table())


def _money(frame: pl.DataFrame, *cols: str) -> pl.DataFrame:
    return frame.with_columns([pl.col(c).cast(pl.Decimal(18, 2)) for c in cols])


def load_inputs(warehouse: Path | None, settings, as_of: date | None = None) -> ForecastInputs:
    """The forecaster's inputs at the close of `as_of` (default: the ledger's last day)."""
    from .history import inputs_as_of

    history = load_history(warehouse, settings, as_of=as_of)
    return inputs_as_of(history, as_of or history.last_day)


def load_history(warehouse: Path | None, settings, as_of: date | None = None) -> History:  # noqa: F821
    """Every input with its dates, for `history.inputs_as_of` (the live run and the backtest)."""
    conn = connect(warehouse, settings)
    try:
        return _load(_Reader(conn), settings, as_of)
    finally:
        conn.close()


def _load(r: _Reader, settings, as_of: date | None):
    from .history import AP_SCHEMA, DEAL_SCHEMA, History

    gl, docs = f"{MARTS}.general_ledger", f"{MARTS}.ar_ap_documents"
    reporting = settings.reporting_currency
    money = pl.Decimal(18, 2)

    entities_f = (
        r.frame(f"select entity_id, any_value(functional_currency) as currency from {gl} group by 1", (gl,), "entities")
        if r.has(gl)
        else None
    )
    entities = {e: EntityInfo(c, COUNTRY.get(c)) for e, c in (entities_f.iter_rows() if entities_f is not None else [])}
    last_day = r.conn.execute(f"select max(posted_on) from {gl}").fetchone()[0] if r.has(gl) else None
    last_day = as_of or last_day or date.today()

    # Each entity's cash at every day's close: each account's latest balance, carried over
    # the days it did not move, summed per entity.
    cash = r.frame(
        f"""with accounts as (select entity_id, account_key, min(balance_date) as first_day
                              from {MARTS}.cash_by_account_day group by 1, 2),
                 days as (select cast(unnest(generate_series(min(first_day), cast(? as date), interval 1 day)) as date)
                          as day from accounts),
                 grid as (select a.entity_id, a.account_key, d.day from accounts a join days d on d.day >= a.first_day),
                 filled as (select g.entity_id, g.day, c.balance
                            from grid g asof left join {MARTS}.cash_by_account_day c
                            on c.account_key = g.account_key and c.balance_date <= g.day)
            select entity_id as entity, day as date, sum(balance)::double as balance from filled group by 1, 2""",
        (f"{MARTS}.cash_by_account_day",),
        "opening cash",
        [last_day],
    )
    balances = (
        cash if cash is not None else pl.DataFrame(schema={"entity": pl.Utf8, "date": pl.Date, "balance": pl.Float64})
    )

    # FX: each currency's dated rate into the reporting currency (the rates the ledger marts
    # convert with). Without that table (an older warehouse), the general ledger's own rate,
    # which is the *functional* currency's (1 GBP in USD on a UK line, whatever the
    # document's currency): keyed by the transaction currency it gave a euro invoice
    # sterling's rate and sterling 1.0 on a US line.
    rates = "intermediate.int_fx_rates_daily"
    if r.has(rates):
        fx = r.frame(
            f"""select currency, rate_date as posted_on, rate::double as fx_rate
                from {rates} where rate is not null""",
            (rates,),
            "fx rates",
        )
    else:
        fx = r.frame(
            f"""select functional_currency as currency, posted_on, max(fx_rate)::double as fx_rate
                from {gl} where fx_rate is not null group by 1, 2""",
            (gl,),
            "fx rates",
        )
    fx = fx if fx is not None else pl.DataFrame(schema=FX_SCHEMA)

    documents = r.frame(
        f"""select entity_id as entity, document_kind as kind, currency, contact_key, contact_name, document_key,
                   issued_on, due_date, total_amount
            from {docs} where not coalesce(is_voided, false) and not coalesce(is_deleted, false)""",
        (docs,),
        "AR/AP documents",
    )
    doc_schema = DOCUMENT_SCHEMA
    documents = documents.cast(doc_schema) if documents is not None else pl.DataFrame(schema=doc_schema)
    alloc_schema = {"document_key": pl.Utf8, "applied_on": pl.Date, "amount": money}
    if r.has("intermediate.int_allocations"):
        allocations = r.frame(
            "select document_key, applied_on, amount from intermediate.int_allocations",
            ("intermediate.int_allocations",),
            "allocations",
        ).cast(alloc_schema)
    else:
        # Published marts only (the Lambda): each document's applied total on its last
        # payment's day — exact for documents paid in one go, late for partial payments.
        allocations = (
            r.frame(
                f"""select document_key, last_applied_on as applied_on, applied_amount as amount
                                   from {docs} where last_applied_on is not null""",
                (docs,),
                "allocations",
            )
            if r.has(docs)
            else None
        )
        allocations = allocations.cast(alloc_schema) if allocations is not None else pl.DataFrame(schema=alloc_schema)
    credits = _credits(r)

    bank = _bank_documents(r, gl, docs)
    transfers = _internal_transfers(r, gl)
    deals_now, snapshots, events = _deals(r, entities)
    frames = {name: r.frame(f"select * from {MARTS}.{name}", (f"{MARTS}.{name}",), name) for name in INTEGRITY_MARTS}
    entity_for_currency = {info.currency: e for e, info in entities.items()}
    integrity = integrity_alerts(
        {k: v for k, v in frames.items() if v is not None}, AlertConfig.from_env(), entity_for_currency, last_day
    )
    fx_latest = r.frame(f"select * from {MARTS}.fx_rates_latest", (f"{MARTS}.fx_rates_latest",), "fx freshness")
    if fx_latest is not None:  # FX rates older than the ECB calendar allows (ledgerlake.alerts.fx)
        integrity = [*integrity, *stale_fx_rates(fx_latest, last_day)]
    del AP_SCHEMA, DEAL_SCHEMA
    return History(
        reporting_currency=reporting,
        entities=entities,
        last_day=last_day,
        balances=balances,
        fx=fx,
        documents=documents,
        allocations=allocations,
        credits=credits,
        deal_snapshots=snapshots,
        deals_now=deals_now,
        deal_events=events,
        recurring=bank["recurring"],
        sales=bank["sales"],
        payments=bank["payments"],
        integrity_alerts=integrity,
        missing=r.missing,
        internal_transfers=transfers,
    )


def _internal_transfers(r: _Reader, gl: str) -> pl.DataFrame:
    """entity, date, amount (history.TRANSFER_SCHEMA): money the bank moved to or from another
    entity of the group — a document with a bank line whose other side is an intercompany
    balance-sheet account (seeds/intercompany_accounts.csv, the accounts consolidation
    eliminates; the P&L ones, a management fee, are operating flows forecast as AR/AP). The
    bank moves by the opposite of what the intercompany account takes (debit "due from" =
    cash out)."""
    from .history import TRANSFER_SCHEMA

    ic = "seeds.intercompany_accounts"
    frame = r.frame(
        f"""select g.entity_id as entity, min(g.posted_on) as date,
                   -sum(g.functional_amount) filter (where ic.account_code is not null)::double as amount
            from {gl} g
            left join {ic} ic on ic.entity_id = g.entity_id and ic.account_code = g.account_code
                and g.account_class in ('asset', 'liability')
            group by g.entity_id, g.source_system, g.document_type, g.document_id
            having bool_or(g.is_bank) and bool_or(ic.account_code is not null)""",
        (gl, ic),
        "internal transfers",
    )
    return frame.cast(TRANSFER_SCHEMA) if frame is not None else pl.DataFrame(schema=TRANSFER_SCHEMA)


def _credits(r: _Reader) -> pl.DataFrame:
    """QBO credit memos minus what payments applied of them to a named invoice (the same rule
    as the `open_ar_month_end` mart): what is left lowers the customer's balance."""
    schema = CREDIT_SCHEMA
    needs = ("staging.stg_qbo__credit_memos", "staging.stg_qbo__payment_allocations", "seeds.legal_entities")
    if not r.has(*needs):
        return pl.DataFrame(schema=schema)
    frame = r.frame(
        """select e.entity_id as entity, c.currency, 'qbo:' || c.customer_id as contact_key,
                  'qbo:CreditMemo:' || c.credit_memo_id as document_key, c.txn_date as issued_on,
                  c.total_amount - coalesce(sum(a.amount), 0) as amount
           from staging.stg_qbo__credit_memos as c
           cross join (select entity_id from seeds.legal_entities where ledger_source = 'qbo') as e
           left join staging.stg_qbo__payment_allocations as a
             on a.applied_to_type = 'CreditMemo' and a.applied_to_id = c.credit_memo_id
                and not a.is_deleted and not a.is_voided
           where not c.is_deleted and not c.is_voided
           group by e.entity_id, c.currency, c.customer_id, c.credit_memo_id, c.txn_date, c.total_amount
           having c.total_amount - coalesce(sum(a.amount), 0) <> 0""",
        needs,
        "credit memos",
    )
    return frame.cast(schema) if frame is not None else pl.DataFrame(schema=schema)


def _bank_documents(r: _Reader, gl: str, docs: str) -> dict[str, pl.DataFrame]:
    money = pl.Decimal(18, 2)
    empty = {
        "payments": pl.DataFrame(
            schema={
                "entity": pl.Utf8,
                "currency": pl.Utf8,
                "source_system": pl.Utf8,
                "source_id": pl.Utf8,
                "raw_key": pl.Utf8,
                "record_type": pl.Utf8,
                "vendor_key": pl.Utf8,
                "vendor_name": pl.Utf8,
                "document_vendor_name": pl.Utf8,
                "paid_on": pl.Date,
                "amount": money,
                "invoice_number": pl.Utf8,
                "document_keys": pl.List(pl.Utf8),
            }
        ),
        "recurring": pl.DataFrame(schema=RECURRING_SCHEMA),
        "sales": pl.DataFrame(schema={"entity": pl.Utf8, "currency": pl.Utf8, "date": pl.Date, "amount": money}),
    }
    # Contact names: AR/AP documents name their contacts; direct purchases may name a contact
    # with no document, so the ledger's staged vendor / contact lists fill in.
    names_sql = [f"select contact_key, any_value(contact_name) as name from {docs} group by 1"]
    if r.has("staging.stg_qbo__vendors"):
        names_sql.append("select 'qbo:' || vendor_id, display_name from staging.stg_qbo__vendors")
    if r.has("staging.stg_xero__contacts"):
        names_sql.append("select 'xero:' || contact_id, contact_name from staging.stg_xero__contacts")
    alloc = "intermediate.int_allocations"
    # The documents each payment settled: the invoice numbers (duplicate rule) and the bills
    # themselves (evidence). QBO numbers ids per entity type, so the payment type joins too.
    invoice_sql = (
        f"""left join (select a.payment_type, a.payment_id, min(d.document_number) as invoice_number,
                              list(distinct a.document_key order by a.document_key) as document_keys
                       from {alloc} a join {docs} d using (document_key) group by 1, 2) inv
              on inv.payment_id = b.document_id and inv.payment_type = b.document_type"""
        if r.has(alloc, docs)
        else "left join (select null as payment_id, null as invoice_number, null::varchar[] as document_keys) inv "
        "on false"
    )
    frame = r.frame(
        f"""with names as (select contact_key, any_value(name) as name
                           from ({" union all ".join(names_sql)}) group by 1),
            b as (
              -- One row per document that moved the entity's cash: its net across all bank
              -- accounts (so transfers between own accounts cancel), and the accounts and
              -- descriptions of all its lines (how payroll is recognised: "Salaries", "Payroll").
              select entity_id, functional_currency as currency, source_system, document_type, document_id,
                     min(posted_on) as posted_on,
                     sum(functional_amount) filter (where is_bank) as amount,
                     any_value(contact_key) filter (where contact_key is not null and contact_key not like '%:')
                         as contact_key,
                     -- the party the marts resolved the contact to (parties: one vendor whatever
                     -- the ledger's spelling); one contact per document, so one party
                     min(party_key) as party_key,
                     min(party_name) as party_name,
                     string_agg(distinct description, ' | ') filter (where is_bank) as description,
                     string_agg(distinct coalesce(account_name, '') || ' ' || coalesce(description, ''), ' | ')
                         as context,
                     any_value(raw_key) filter (where is_bank) as raw_key
              from {gl} group by all
              having bool_or(is_bank) and sum(functional_amount) filter (where is_bank) <> 0)
            select b.*, coalesce(n.name, case when b.contact_key is not null then b.description end) as contact_name,
                   inv.invoice_number, inv.document_keys
            from b left join names n using (contact_key) {invoice_sql}""",
        (gl, docs),
        "bank documents",
    )
    if frame is None or frame.is_empty():
        return empty
    frame = frame.with_columns(pl.col("amount").cast(money))
    outflow = pl.col("amount") < 0
    is_vendor = outflow & pl.col("document_type").is_in(VENDOR_DOCS) & pl.col("contact_name").is_not_null()
    text = (pl.coalesce("contact_name", pl.lit("")) + " " + pl.coalesce("context", pl.lit(""))).str.to_lowercase()
    payroll = text.str.contains("|".join(PAYROLL_WORDS))
    # Payroll is not a vendor: its runs move with headcount, raises and bonuses, which the
    # payroll component forecasts; as vendor payments they would raise "unusual charge" alerts.
    payments = frame.filter(is_vendor & ~payroll).select(
        pl.col("entity_id").alias("entity"),
        "currency",
        "source_system",
        (pl.col("document_type") + ":" + pl.col("document_id")).alias("source_id"),
        "raw_key",
        pl.col("document_type").alias("record_type"),
        # The vendor is the marts' (alerts.vendors): its party and the party's one name; a
        # contact the marts resolved to no party (no vendor record behind it) is its own vendor.
        pl.coalesce("party_key", pl.lit("contact:") + pl.col("contact_key")).alias("vendor_key"),
        pl.coalesce("party_name", "contact_name").alias("vendor_name"),
        pl.col("contact_name").alias("document_vendor_name"),
        pl.col("posted_on").alias("paid_on"),
        (-pl.col("amount")).alias("amount"),
        "invoice_number",
        pl.col("document_keys").cast(pl.List(pl.Utf8)),
    )
    recurring = frame.filter(outflow & (payroll | is_vendor)).select(
        pl.col("entity_id").alias("entity"),
        "currency",
        pl.when(payroll).then(pl.lit("payroll")).otherwise(pl.lit("recurring")).alias("kind"),
        # one series per payee (net pay, the tax office): each keeps its own calendar
        pl.when(payroll)
        .then(pl.coalesce("contact_name", pl.lit("payroll")))
        .otherwise(pl.col("contact_name"))
        .alias("series"),
        pl.col("posted_on").alias("date"),
        (-pl.col("amount")).alias("amount"),
    )
    # Payroll runs of one day (several journal lines/documents) are one occurrence.
    recurring = recurring.group_by("entity", "currency", "kind", "series", "date").agg(pl.col("amount").sum())
    # Unscheduled sales = card / shop payouts (credited from a processor's clearing account,
    # or described as a payout). Other receipts — opening balances, interest, intercompany
    # transfers — are not sales, and one large transfer would swamp the series.
    payout = text.str.contains("payout|clearing")
    sales = (
        frame.filter(~outflow & payout & pl.col("document_type").is_in(SALES_DOCS))
        .group_by(pl.col("entity_id").alias("entity"), "currency", pl.col("posted_on").alias("date"))
        .agg(pl.col("amount").sum())
    )
    # Invoice payments taken through a processor (debited to its clearing account) reach the
    # bank inside its payouts; the AR component already expects them, so they leave the
    # payout series — counted once.
    via = r.frame(
        f"""select entity_id as entity, functional_currency as currency, posted_on as date,
                             -sum(functional_amount) as amount
                      from {gl} where document_type = 'Payment' and functional_amount > 0
                        and lower(account_name) like '%clearing%' group by all""",
        (gl,),
        "processor receipts",
    )
    if via is not None and not via.is_empty():
        sales = (
            pl.concat([sales, via.cast(sales.schema)])
            .group_by("entity", "currency", "date")
            .agg(pl.col("amount").sum())
        )
    return {"payments": payments, "recurring": recurring, "sales": sales}


def _deals(
    r: _Reader, entities: dict[str, EntityInfo]
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """(open deals now, open deals as they stood each day, the stage history as events — the
    last two None without the snapshot mart)."""
    from .history import DEAL_SCHEMA

    # A deal books in the entity whose functional currency it is priced in (US: USD, UK: GBP).
    entity_for = {info.currency: e for e, info in entities.items()}

    def shape(frame: pl.DataFrame | None, *extra: str) -> pl.DataFrame | None:
        if frame is None:
            return None
        frame = frame.with_columns(entity=pl.col("currency").replace_strict(entity_for, default=None))
        return _money(frame.filter(pl.col("entity").is_not_null()), "amount").select(
            *extra,
            "entity",
            "currency",
            pl.col("deal_id").cast(pl.Utf8),
            "amount",
            pl.col("probability").cast(pl.Float64),
            "close_date",
            pl.col("stage_id").cast(pl.Utf8),
        )

    now = shape(
        r.frame(
            f"""select currency, source_id as deal_id, amount, probability, close_date, stage_id
            from {MARTS}.crm_deals where not is_closed and amount > 0 and close_date is not null""",
            (f"{MARTS}.crm_deals",),
            "pipeline",
        )
    )
    snapshots = shape(
        r.frame(
            f"""select snapshot_date, currency, deal_id, amount, probability,
                   expected_close_date as close_date, stage_id
            from {MARTS}.crm_pipeline_snapshot_daily
            where not is_closed and amount > 0 and expected_close_date is not null""",
            (f"{MARTS}.crm_pipeline_snapshot_daily",),
            "pipeline history",
        ),
        "snapshot_date",
    )
    return (now if now is not None else pl.DataFrame(schema=DEAL_SCHEMA)), snapshots, _deal_events(r, entity_for)


def _deal_events(r: _Reader, entity_for: dict[str, str]) -> pl.DataFrame | None:
    """The snapshot mart as stage-history events: a deal's first day in each (stage, close
    date) state, and its close (won or lost)."""
    from .pipeline import EVENT_SCHEMA

    snap = f"{MARTS}.crm_pipeline_snapshot_daily"
    frame = r.frame(
        f"""select deal_id, currency, stage_id, probability, expected_close_date as close_date, is_closed, is_won,
                   min(snapshot_date) as day
            from {snap}
            group by deal_id, currency, stage_id, probability, expected_close_date, is_closed, is_won""",
        (snap,),
        "pipeline history",
    )
    if frame is None:
        return None
    return (
        frame.with_columns(
            entity=pl.col("currency").replace_strict(entity_for, default=None), deal_id=pl.col("deal_id").cast(pl.Utf8)
        )
        .filter(pl.col("entity").is_not_null())
        .select(list(EVENT_SCHEMA))
        .cast(EVENT_SCHEMA)
    )

"""Typical analyst queries over the marts, as documented in docs/analysts.md.

They live here so the tests run exactly what the docs show (tests/sql checks each answer and
that the docs quote each query verbatim). Plain DuckDB SQL that also runs on Athena with
the Glue tables, except where noted.
"""

from __future__ import annotations

REVENUE_BY_MONTH = """\
select period_month as month,
       sum(revenue_reporting) as revenue,
       any_value(reporting_currency) as currency
from marts.revenue_by_month
group by period_month
order by month;"""

# Aged as of the last day the ledger has (replace with current_date for live data).
AR_AGING = """\
with as_of as (select max(posted_on) as day from marts.general_ledger),
open_ar as (
    select d.entity_id, d.currency, d.open_amount,
           as_of.day - coalesce(d.due_date, d.issued_on) as days_past_due  -- no due date: due when issued
    from marts.ar_ap_documents as d, as_of
    where d.document_kind = 'AR' and d.status in ('open', 'partially_paid') and d.open_amount > 0
)
select entity_id, currency,
       coalesce(sum(open_amount) filter (where days_past_due <= 0), 0) as "current",
       coalesce(sum(open_amount) filter (where days_past_due between 1 and 30), 0) as "1-30",
       coalesce(sum(open_amount) filter (where days_past_due between 31 and 60), 0) as "31-60",
       coalesce(sum(open_amount) filter (where days_past_due between 61 and 90), 0) as "61-90",
       coalesce(sum(open_amount) filter (where days_past_due > 90), 0) as "90+",
       sum(open_amount) as total
from open_ar
group by entity_id, currency
order by entity_id, currency;"""

TOP_VENDORS = """\
select contact_name as vendor, entity_id, currency,
       count(*) as bills,
       sum(total_amount) as billed
from marts.ar_ap_documents
where document_kind = 'AP' and not is_voided and not is_deleted
group by contact_name, entity_id, currency
order by billed desc, vendor
limit 10;"""

# Resolved deal → entity → invoice → paid, from the link mart (no reference parsing).
DEALS_INVOICED = """\
select deal_id, deal_name, entity_id, invoice_number, invoice_total, invoice_currency, invoice_status
from marts.crm_deal_invoices
where is_won
order by close_date desc, deal_id, invoice_number
limit 10;"""

EXAMPLES: dict[str, str] = {
    "revenue_by_month": REVENUE_BY_MONTH,
    "ar_aging": AR_AGING,
    "top_vendors": TOP_VENDORS,
    "deals_invoiced": DEALS_INVOICED,
}

# The examples `ledgerlake sql --help` prints; tests/sql runs every one of them.
HELP_EXAMPLES: tuple[str, ...] = (
    "ledgerlake sql",
    (
        'ledgerlake sql -c "select period_month, sum(revenue_reporting) as revenue from marts.revenue_by_month '
        'group by 1 order by 1" --format csv'
    ),
    'ledgerlake sql -c "select * from marts.crm_deal_invoices where deal_is_paid limit 5"',
    "ledgerlake sql < report.sql",
)

# The dozen marts an analyst starts with (docs/analysts.md "Start here", the dbt docs'
# landing page, and the hint `.tables` prints): the rest are layers underneath.
START_HERE: tuple[str, ...] = (
    "finance_kpis_monthly",
    "finance_kpis_daily",
    "general_ledger",
    "profit_and_loss",
    "balance_sheet",
    "trial_balance",
    "cash_flow_statement",
    "cash_by_account_day",
    "ar_ap_documents",
    "revenue_by_month",
    "crm_deals",
    "crm_deal_invoices",
)

-- Grain: one row per entity, calendar month and P&L line (revenue, other_income,
-- cost_of_sales, operating_expense), cash basis, beside the accrual profit_and_loss with
-- the same columns and signs. Cash basis: a sales invoice or bill (QBO Invoice / Bill,
-- Xero ACCREC / ACCPAY) reaches the P&L only as it is settled: each of its income or
-- expense lines in proportion to the payments and credits applied (int_allocations), on
-- the date applied; the cumulative share is rounded, so a fully settled document posts
-- exactly its lines. Everything else (receipts, purchases, bank transactions, journals,
-- credit notes) is cash or has no receivable side and posts as on accrual. Reporting
-- amounts use the rate of the day the amount reaches the P&L.
{%- set reporting = var('reporting_currency') %}
with lines as (
    select
        g.*,
        g.source_system || ':' || g.document_type || ':' || g.document_id as document_key,
        case
            when g.account_class = 'revenue' and g.is_operating_revenue then 'revenue'
            when g.account_class = 'revenue' then 'other_income'
            when g.is_cost_of_sales then 'cost_of_sales'
            else 'operating_expense'
        end as pl_line
    from {{ ref('general_ledger') }} as g
    where g.account_class in ('revenue', 'expense')
),

settled_documents as (
    select
        document_key,
        total_amount
    from {{ ref('int_ar_ap_documents') }}
    where not is_voided and not is_deleted and total_amount != 0
),

allocations as (
    -- running share of each document settled, allocation by allocation
    select
        a.document_key,
        a.allocation_key,
        a.applied_on,
        d.total_amount,
        sum(a.amount) over (
            partition by a.document_key order by a.applied_on, a.allocation_key
            rows between unbounded preceding and current row
        ) as applied_to_date
    from {{ ref('int_allocations') }} as a
    join settled_documents as d using (document_key)
),

cash_lines as (
    -- a settled document's lines, step by step: the cumulative share minus the previous one
    {%- set share_to_date = round_to_currency(
        'l.functional_amount * least(a.applied_to_date, a.total_amount) / a.total_amount', 'l.functional_currency'
    ) %}
    select
        l.entity_id,
        a.applied_on as cash_date,
        l.pl_line,
        l.functional_currency,
        {{ share_to_date }}
        - coalesce(lag({{ share_to_date }})
            over (partition by l.journal_line_id order by a.applied_on, a.allocation_key), 0) as functional_amount
    from lines as l
    join allocations as a using (document_key)
    union all
    select
        l.entity_id,
        l.posted_on,
        l.pl_line,
        l.functional_currency,
        l.functional_amount
    from lines as l
    where l.document_key not in (select s.document_key from settled_documents as s)
),

converted as (
    select
        c.*,
        {{ to_reporting('c.functional_amount', 'fx.rate') }} as reporting_amount
    from cash_lines as c
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency = c.functional_currency and fx.rate_date = c.cash_date
)

select
    entity_id || ':' || cast({{ month_start('cash_date') }} as varchar) || ':' || pl_line as pnl_key,
    entity_id,
    {{ month_start('cash_date') }} as period_month,
    max({{ fiscal_year('cash_date') }}) as fiscal_year,
    max({{ fiscal_period('cash_date') }}) as fiscal_period,
    pl_line,
    'cash' as basis,
    max(functional_currency) as currency,
    sum(case when pl_line in ('revenue', 'other_income') then -functional_amount else functional_amount end) as amount,
    '{{ reporting }}' as reporting_currency,
    sum(
        case when pl_line in ('revenue', 'other_income') then -reporting_amount else reporting_amount end
    ) as reporting_amount
from converted
group by entity_id, {{ month_start('cash_date') }}, pl_line

-- Grain: one row per entity, calendar month and cash-flow line, direct method, in
-- functional currency (and reporting currency at each movement's day rate): the month's
-- opening book cash, each line's inflow or outflow, and the closing book cash. Source: the
-- general ledger's bank-account lines, netted per document (so a transfer between two of
-- the entity's bank accounts cancels), each document's bank movement classified by the
-- account on its other side that carries the most money:
--   operating  customer_receipts (receivables, income), processor_payouts (clearing and other
--              current assets), supplier_payments (payables), operating_expenses_paid
--              (expenses and cost of sales), taxes_and_payroll_liabilities (other liabilities)
--   investing  fixed_assets (QBO Fixed Asset / Xero FIXED accounts)
--   financing  equity (opening balances, capital), intercompany (accounts named "intercompany")
-- `opening_cash` + Σ lines = `closing_cash` each month (a dbt test checks it); book cash is
-- the ledger's, which reconciliation compares with the bank (integrity_unreconciled_bank_lines).
{%- set reporting = var('reporting_currency') %}
with gl as (
    select * from {{ ref('general_ledger') }}
),

documents as (
    select
        entity_id,
        posted_on,
        source_system,
        document_type,
        document_id,
        max(functional_currency) as currency,
        sum(case when is_bank then functional_amount else 0 end) as bank_net
    from gl
    group by entity_id, posted_on, source_system, document_type, document_id
    having sum(case when is_bank then functional_amount else 0 end) != 0
),

counterparts as (
    select
        g.entity_id,
        g.source_system,
        g.document_type,
        g.document_id,
        case
            when lower(coalesce(g.account_name, '')) like '%intercompany%' then 'intercompany'
            when a.is_receivable or g.account_class = 'revenue' then 'customer_receipts'
            when a.is_payable then 'supplier_payments'
            when g.account_class = 'expense' then 'operating_expenses_paid'
            when g.account_class = 'equity' then 'equity'
            when g.account_type in ('Fixed Asset', 'FIXED') then 'fixed_assets'
            when g.account_class = 'asset' then 'processor_payouts'
            else 'taxes_and_payroll_liabilities'
        end as cash_flow_line,
        abs(g.functional_amount) as weight,
        g.journal_line_id
    from gl as g
    left join {{ ref('int_ledger_accounts') }} as a using (entity_id, account_key)
    where not g.is_bank
),

classified as (
    {{ dedupe(
        'select * from counterparts',
        'entity_id, source_system, document_type, document_id',
        'weight desc, journal_line_id'
    ) }}
),

movements as (
    select
        d.entity_id,
        d.posted_on,
        d.currency,
        coalesce(c.cash_flow_line, 'other') as cash_flow_line,
        d.bank_net
    from documents as d
    left join classified as c
        on
            c.entity_id = d.entity_id and c.source_system = d.source_system
            and c.document_type = d.document_type and c.document_id = d.document_id
),

converted as (
    select
        m.*,
        {{ to_reporting('m.bank_net', 'fx.rate') }} as bank_net_reporting
    from movements as m
    left join {{ ref('int_fx_rates_daily') }} as fx on fx.currency = m.currency and fx.rate_date = m.posted_on
),

lines as (
    select
        entity_id,
        {{ month_start('posted_on') }} as period_month,
        max(currency) as currency,
        cash_flow_line,
        sum(bank_net) as amount,
        sum(bank_net_reporting) as reporting_amount
    from converted
    group by entity_id, {{ month_start('posted_on') }}, cash_flow_line
),

months as (
    select distinct
        entity_id,
        period_month,
        currency
    from lines
),

net as (
    select
        m.entity_id,
        m.period_month,
        m.currency,
        coalesce(sum(l.amount), 0) as net_change,
        coalesce(sum(l.reporting_amount), 0) as net_change_reporting
    from months as m
    left join lines as l using (entity_id, period_month)
    group by m.entity_id, m.period_month, m.currency
),

balances as (
    select
        n.*,
        sum(n.net_change) over (
            partition by n.entity_id order by n.period_month rows between unbounded preceding and current row
        ) as closing_cash
    from net as n
),

catalogue as (
    select
        'opening_cash' as cash_flow_line,
        'cash' as section,
        0 as line_order
    union all
    select
        'customer_receipts' as cash_flow_line,
        'operating' as section,
        1 as line_order
    union all
    select
        'processor_payouts' as cash_flow_line,
        'operating' as section,
        2 as line_order
    union all
    select
        'supplier_payments' as cash_flow_line,
        'operating' as section,
        3 as line_order
    union all
    select
        'operating_expenses_paid' as cash_flow_line,
        'operating' as section,
        4 as line_order
    union all
    select
        'taxes_and_payroll_liabilities' as cash_flow_line,
        'operating' as section,
        5 as line_order
    union all
    select
        'other' as cash_flow_line,
        'operating' as section,
        6 as line_order
    union all
    select
        'fixed_assets' as cash_flow_line,
        'investing' as section,
        7 as line_order
    union all
    select
        'equity' as cash_flow_line,
        'financing' as section,
        8 as line_order
    union all
    select
        'intercompany' as cash_flow_line,
        'financing' as section,
        9 as line_order
    union all
    select
        'net_change' as cash_flow_line,
        'cash' as section,
        10 as line_order
    union all
    select
        'closing_cash' as cash_flow_line,
        'cash' as section,
        11 as line_order
)

select
    b.entity_id || ':' || cast(b.period_month as varchar) || ':' || k.cash_flow_line as cash_flow_key,
    b.entity_id,
    b.period_month,
    {{ fiscal_year('b.period_month') }} as fiscal_year,
    {{ fiscal_period('b.period_month') }} as fiscal_period,
    k.section,
    k.cash_flow_line,
    k.line_order,
    b.currency,
    case k.cash_flow_line
        when 'opening_cash' then b.closing_cash - b.net_change
        when 'net_change' then b.net_change
        when 'closing_cash' then b.closing_cash
        else coalesce(l.amount, 0)
    end as amount,
    '{{ reporting }}' as reporting_currency,
    case
        when k.section = 'cash' and k.cash_flow_line != 'net_change' then null
        when k.cash_flow_line = 'net_change' then b.net_change_reporting
        else coalesce(l.reporting_amount, 0)
    end as reporting_amount
from balances as b
cross join catalogue as k
left join lines as l
    on l.entity_id = b.entity_id and l.period_month = b.period_month and l.cash_flow_line = k.cash_flow_line

-- Grain: one row per journal line of every legal entity (debit-positive, zero-sum per
-- document), with the account's class, the fiscal period, and the amount in functional
-- and reporting currency with the dated FX rate used.
{%- set fy = var('fiscal_year_start_month') | int %}
select
    j.journal_line_id,
    j.entity_id,
    j.posted_on,
    cast(date_trunc('month', j.posted_on) as date) as period_month,
    -- fiscal year named by the calendar year it ends in (FY2026 = Apr 2025 – Mar 2026 for April)
    extract(year from j.posted_on) + case when {{ fy }} > 1 and extract(month from j.posted_on) >= {{ fy }} then 1 else 0 end as fiscal_year,
    ((cast(extract(month from j.posted_on) as integer) - {{ fy }} + 12) % 12) + 1 as fiscal_period,
    j.account_key,
    a.account_code,
    a.account_name,
    a.account_class,
    a.account_type,
    a.is_bank,
    a.is_operating_revenue,
    a.is_cost_of_sales,
    j.document_type,
    j.document_id,
    j.doc_number,
    j.contact_key,
    j.description,
    -- money: transaction = functional here (ledger documents in the entity's currency)
    j.currency as transaction_currency,
    j.amount as transaction_amount,
    j.currency as functional_currency,
    j.amount as functional_amount,
    case when j.amount > 0 then j.amount else 0 end as debit,
    case when j.amount < 0 then -j.amount else 0 end as credit,
    '{{ var("reporting_currency") }}' as reporting_currency,
    fx.rate as fx_rate,
    fx.published_on as fx_rate_date,
    {{ convert('j.amount', 'fx.rate', "'" ~ var('reporting_currency') ~ "'") }} as reporting_amount,
    j.source_system,
    j.source_id,
    j.raw_key
from {{ ref('int_journal_lines') }} as j
left join {{ ref('int_ledger_accounts') }} as a using (account_key)
left join {{ ref('int_fx_rates_daily') }} as fx
    on fx.currency = j.currency and fx.rate_date = j.posted_on

-- Grain: one row per journal line of every legal entity (debit-positive, zero-sum per
-- document), with the account's class, the fiscal period, and the amount in functional
-- and reporting currency with the dated FX rate used. Only documents int_journal_lines
-- could post are here (the rest are in quarantine_records), so no amount is ever NULL.
{%- set fy = var('fiscal_year_start_month') | int %}
{%- set journal_columns = [
    'journal_line_id', 'entity_id', 'source_system', 'tenant_id', 'document_type', 'document_id', 'doc_number',
    'posted_on', 'line_id', 'account_key', 'amount', 'currency', 'functional_currency', 'to_functional_rate',
    'to_reporting_rate', 'reporting_rate_date', 'contact_key', 'description', 'source_id', 'raw_key',
    'functional_amount',
] %}
with journal as (
    -- the documents' lines int_journal_lines could post (the rest are in quarantine_records),
    -- converted there at each document's rate; and the FX gains and losses on foreign documents
    select {{ journal_columns | join(', ') }}, amount as transaction_amount, currency as transaction_currency
    from {{ ref('int_journal_lines') }}
    where quarantine_reason is null
    union all
    select {{ journal_columns | join(', ') }}, amount as transaction_amount, currency as transaction_currency
    from {{ ref('int_fx_gain_loss_lines') }}
)

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
    -- money: transaction (the document's currency), functional (the entity's) and reporting
    j.transaction_currency,
    j.transaction_amount,
    j.functional_currency,
    j.functional_amount,
    j.to_functional_rate,
    case when j.functional_amount > 0 then j.functional_amount else 0 end as debit,
    case when j.functional_amount < 0 then -j.functional_amount else 0 end as credit,
    '{{ var("reporting_currency") }}' as reporting_currency,
    j.to_reporting_rate as fx_rate,
    j.reporting_rate_date as fx_rate_date,
    case when j.functional_currency = '{{ var("reporting_currency") }}' then j.functional_amount
         else {{ convert('j.functional_amount', 'j.to_reporting_rate', "'" ~ var('reporting_currency') ~ "'") }} end as reporting_amount,
    j.source_system,
    j.tenant_id,
    j.source_id,
    j.raw_key
from journal as j
left join {{ ref('int_ledger_accounts') }} as a using (entity_id, account_key)

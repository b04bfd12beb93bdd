-- One row per journal line of every legal entity: debit-positive (credit negative), `amount`
-- in the document's currency and `functional_amount` in the entity's, each summing to zero
-- per document. Neither QBO nor Xero
-- expose a posted journal through their transaction APIs, so lines are synthesized from
-- the documents, as Fivetran's dbt_quickbooks does (docs/DECISIONS.md): one model per
-- document type (double_entry/int_<source>__<document>_double_entry) with the same named
-- columns (macros/journal.sql), unioned here by name. Deleted and voided documents post nothing.
{%- set double_entry = [
    'int_qbo__invoice_double_entry', 'int_qbo__credit_memo_double_entry', 'int_qbo__sales_receipt_double_entry',
    'int_qbo__payment_double_entry', 'int_qbo__bill_double_entry', 'int_qbo__bill_payment_double_entry',
    'int_qbo__purchase_double_entry', 'int_qbo__deposit_double_entry', 'int_qbo__journal_entry_double_entry',
    'int_xero__invoice_double_entry', 'int_xero__credit_note_double_entry', 'int_xero__payment_double_entry',
    'int_xero__bank_transaction_double_entry', 'int_xero__manual_journal_double_entry',
] %}
with unioned as (
    {{ union_journal_lines(double_entry) }}
),

keyed as (
    select
        u.*,
        case u.source_system
            when 'qbo' then {{ ledger_prefix('qbo', 'u.tenant_id') }}
            else {{ ledger_prefix('xero', 'u.tenant_id') }}
        end as key_prefix
    from unioned as u
),

-- ---------------------------------------------------------------- entity, account, rates
{%- set reporting = var('reporting_currency') %}
mapped as (
    -- each tenant's ledger is one legal entity's (seeds/source_tenants.csv)
    select
        u.*,
        t.entity_id,
        e.functional_currency,
        u.key_prefix || ':' || u.source_account_id as account_key,
        u.key_prefix || ':' || u.contact_id as contact_key,
        coalesce(u.doc_currency, e.functional_currency) as transaction_currency,
        a.account_key is not null as is_known_account
    from keyed as u
    left join {{ ref('source_tenants') }} as t on t.source_system = u.source_system and t.tenant_id = u.tenant_id
    left join {{ ref('legal_entities') }} as e on e.entity_id = t.entity_id
    left join {{ ref('int_ledger_accounts') }} as a
        on a.source_system = u.source_system and a.tenant_id = u.tenant_id and a.source_account_id = u.source_account_id
    where u.amount is null or u.amount != 0
),

rated as (
    -- A foreign-currency document converts at the rate its ledger booked it at (QBO
    -- ExchangeRate, Xero CurrencyRate: exchange_rate), else at the ECB rate of its date.
    -- Identity conversions need no rate: a line in its entity's functional currency converts
    -- at 1, a functional currency equal to the reporting currency too. Only a real
    -- conversion looks a rate up, and a missing one quarantines the document (never a NULL
    -- amount that tie-outs would skip).
    select
        m.*,
        {{ rate_or_identity(
            'm.transaction_currency',
            'm.functional_currency',
            'coalesce(m.exchange_rate, r.rate)'
        ) }} as to_functional_rate,
        {{ rate_or_identity('m.functional_currency', "'" ~ reporting ~ "'", 'fx.rate') }} as to_reporting_rate,
        case
            when m.functional_currency = '{{ reporting }}' then m.posted_on else fx.published_on
        end as reporting_rate_date
    from mapped as m
    -- a condition on m alone goes inside the key, else DuckDB nested-loops (DECISIONS.md)
    left join {{ ref('int_fx_pair_rates_daily') }} as r
        on
            r.base_currency = case when m.transaction_currency != m.functional_currency then m.transaction_currency end
            and r.quote_currency = m.functional_currency and r.rate_date = m.posted_on
    left join {{ ref('int_fx_rates_daily') }} as fx
        on
            fx.currency = case when m.functional_currency != '{{ reporting }}' then m.functional_currency end
            and fx.rate_date = m.posted_on
),

checked as (
    select
        r.*,
        case
            when r.entity_id is null or r.functional_currency is null
                then
                    'unmapped tenant: ' || r.source_system || ' tenant ' || coalesce(r.tenant_id, '?')
                    || ' is not mapped to a legal entity (seeds/source_tenants.csv, seeds/legal_entities.csv)'
            when r.amount is null then 'no amount: line ' || r.line_id || ' has no amount'
            when r.posted_on is null then 'no date: the document has no date'
            when r.source_account_id is null then 'unknown account: line ' || r.line_id || ' names no account'
            when not r.is_known_account
                then
                    'unknown account: line ' || r.line_id || ' posts to account ' || r.source_account_id
                    || ', not (yet) in the chart of accounts'
            when r.to_functional_rate is null
                then
                    'no fx rate: no ' || r.transaction_currency || '->' || r.functional_currency
                    || ' rate on or before ' || cast(r.posted_on as varchar)
            when r.to_reporting_rate is null
                then
                    'no fx rate: no ' || r.functional_currency || '->{{ reporting }} rate on or before '
                    || cast(r.posted_on as varchar)
        end as line_problem,
        -- the most actionable problem names the document: an unmapped tenant or an unknown
        -- account before a missing rate (fixing the account may be all it takes)
        case
            when r.entity_id is null or r.functional_currency is null then 1
            when r.amount is null then 2
            when r.posted_on is null then 3
            when r.source_account_id is null or not r.is_known_account then 4
            else 5
        end as problem_rank
    from rated as r
),

documents as (
    -- a document posts whole or not at all: one bad line quarantines all its lines, so
    -- what is published still balances
    select
        source_system,
        tenant_id,
        document_type,
        document_id,
        min_by(line_problem, case when line_problem is not null then problem_rank end) as first_problem,
        sum(amount) as transaction_net,
        min(transaction_currency) as transaction_currency
    from checked
    group by source_system, tenant_id, document_type, document_id
),

published as (
    select
        c.*,
        coalesce(
            d.first_problem,
            case
                when d.transaction_net != 0
                    then
                        'unbalanced: the document' || chr(39) || 's lines net to '
                        || cast(d.transaction_net as varchar) || ' ' || d.transaction_currency || ', not zero'
            end
        ) as quarantine_reason,
        -- each line at its document's rate into the functional currency (1 for a line already in it)
        case
            when c.transaction_currency = c.functional_currency then c.amount
            else {{ convert('c.amount', 'c.to_functional_rate', 'c.functional_currency') }}
        end as converted_amount
    from checked as c
    join documents as d
        on
            d.source_system = c.source_system and d.tenant_id = c.tenant_id
            and d.document_type = c.document_type and d.document_id = c.document_id
)

select
    p.key_prefix || ':' || p.document_type || ':' || p.document_id || ':' || p.line_id as journal_line_id,
    p.entity_id,
    p.source_system,
    p.tenant_id,
    p.document_type,
    p.document_id,
    p.doc_number,
    p.posted_on,
    p.line_id,
    p.source_account_id,
    p.account_key,
    -- in the document's own currency (transaction currency)
    cast(p.amount as {{ money_type() }}) as amount,
    p.transaction_currency as currency,
    p.functional_currency,
    p.to_functional_rate,
    p.to_reporting_rate,
    p.reporting_rate_date,
    p.contact_key,
    p.description,
    p.document_id as source_id,
    p.raw_key,
    p.quarantine_reason,
    p.key_prefix,
    p.key_prefix || ':' || p.document_type || ':' || p.document_id as document_key,
    -- in the functional currency, for a posted document: rounding each converted line can
    -- leave a cent per document; it goes to the document's first line (the receivable /
    -- payable / bank side), so every document still nets to zero
    case when p.quarantine_reason is null then cast(
        p.converted_amount
        + case
            when
                row_number() over (
                    partition by p.source_system, p.tenant_id, p.document_type, p.document_id order by p.line_id
                ) = 1
                then -sum(p.converted_amount) over (
                    partition by p.source_system, p.tenant_id, p.document_type, p.document_id
                )
            else 0
        end
        as {{ money_type() }}
    ) end as functional_amount
from published as p

-- Xero bank transactions, AUTHORISED only: SPEND Dr each line net of tax, Dr tax, Cr the
-- bank (the total); RECEIVE the mirror.
with bank_transactions as (
    select
        *,
        case when transaction_type like 'RECEIVE%' then 1 else -1 end as sign
    from {{ ref('stg_xero__bank_transactions') }}
    where status = 'AUTHORISED'
),

{{ ledger_lookups('xero') }}

select
    'xero' as source_system,
    b.tenant_id,
    'BankTransaction' as document_type,
    b.bank_transaction_id as document_id,
    b.reference as doc_number,
    b.transaction_date as posted_on,
    '0' as line_id,
    b.bank_account_id as source_account_id,
    b.sign * b.total_amount as amount,
    b.contact_id,
    coalesce(b.reference, 'Bank transaction') as description,
    b.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    {{- dimension_columns() }}
    b.raw_key
from bank_transactions as b

union all

select
    'xero' as source_system,
    b.tenant_id,
    'BankTransaction' as document_type,
    b.bank_transaction_id as document_id,
    b.reference as doc_number,
    b.transaction_date as posted_on,
    'tax' as line_id,
    c.tax_account_id as source_account_id,
    -b.sign * b.tax_amount as amount,
    b.contact_id,
    'Tax' as description,
    b.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    {{- dimension_columns() }}
    b.raw_key
from bank_transactions as b
left join control as c on c.tenant_id = b.tenant_id
where b.tax_amount != 0

union all

select
    'xero' as source_system,
    b.tenant_id,
    'BankTransaction' as document_type,
    l.bank_transaction_id as document_id,
    b.reference as doc_number,
    b.transaction_date as posted_on,
    l.bank_transaction_line_id as line_id,
    coalesce(a.source_account_id, 'code ' || l.account_code) as source_account_id,
    -b.sign * (case when b.line_amount_types = 'Inclusive' then l.line_amount - l.tax_amount else l.line_amount end)
        as amount,
    b.contact_id,
    l.description,
    b.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    {{- dimension_columns('l') }}
    l.raw_key
from {{ ref('stg_xero__bank_transaction_lines') }} as l
inner join bank_transactions as b on b.tenant_id = l.tenant_id and b.bank_transaction_id = l.bank_transaction_id
left join accounts as a on a.tenant_id = l.tenant_id and a.account_code = l.account_code

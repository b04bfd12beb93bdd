-- QBO invoices: Dr receivable (the total), Cr each line's income account.
with documents as (
    select *
    from {{ ref('stg_qbo__invoices') }}
    where not is_deleted and not is_voided
),

control as (
    select * from {{ ref('int_ledger_control_accounts') }} where source_system = 'qbo'
)

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    'Invoice' as document_type,
    d.invoice_id as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    '0' as line_id,
    c.ar_account_id as source_account_id,
    d.total_amount as amount,
    d.customer_id as contact_id,
    'Invoice ' || coalesce(d.doc_number, d.invoice_id) as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    d.raw_key as raw_key
from documents as d
left join control as c on c.tenant_id = d.tenant_id

union all

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    'Invoice' as document_type,
    l.invoice_id as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    l.line_id as line_id,
    l.account_id as source_account_id,
    -l.amount as amount,
    d.customer_id as contact_id,
    l.description as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    l.raw_key as raw_key
from {{ ref('stg_qbo__invoice_lines') }} as l
inner join documents as d on d.tenant_id = l.tenant_id and d.invoice_id = l.invoice_id

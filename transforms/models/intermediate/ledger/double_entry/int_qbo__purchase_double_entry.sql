-- QBO purchases (expenses paid directly): Dr each line's expense account, Cr the bank (the total).
with documents as (
    select *
    from {{ ref('stg_qbo__purchases') }}
    where not is_deleted and not is_voided
)

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    'Purchase' as document_type,
    d.purchase_id as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    '0' as line_id,
    d.bank_account_id as source_account_id,
    -d.total_amount as amount,
    d.party_id as contact_id,
    coalesce(d.private_note, 'Purchase') as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    d.raw_key as raw_key
from documents as d

union all

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    'Purchase' as document_type,
    l.purchase_id as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    l.line_id as line_id,
    l.account_id as source_account_id,
    l.amount as amount,
    d.party_id as contact_id,
    l.description as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    l.raw_key as raw_key
from {{ ref('stg_qbo__purchase_lines') }} as l
inner join documents as d on d.tenant_id = l.tenant_id and d.purchase_id = l.purchase_id

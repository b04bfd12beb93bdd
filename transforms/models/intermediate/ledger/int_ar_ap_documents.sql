-- One row per receivable (AR: sales invoice) or payable (AP: bill) document of every
-- entity, with its total, the deal reference it carries (QBO custom field "HubSpot Deal"
-- / Xero Reference) and void / delete flags.
with qbo_deal_refs as (
    select i.invoice_id,
           max(case when {{ json_str('f', '$.Name') }} = 'HubSpot Deal' then nullif({{ json_str('f', '$.StringValue') }}, '') end) as deal_reference
    from {{ json_each_row(ref('stg_qbo__invoices'), 'i', 'custom_fields', '$', 'f') }}
    group by i.invoice_id
),

qbo_invoices as (
    select 'qbo:Invoice:' || i.invoice_id as document_key, 'AR' as document_kind, 'qbo' as source_system,
           i.invoice_id as document_id, i.doc_number as document_number, 'qbo:' || i.customer_id as contact_key,
           i.customer_name as contact_name, i.txn_date as issued_on, i.due_date, i.currency, i.total_amount,
           r.deal_reference, i.is_voided, i.is_deleted, i.raw_key
    from {{ ref('stg_qbo__invoices') }} as i
    left join qbo_deal_refs as r using (invoice_id)
),

qbo_bills as (
    select 'qbo:Bill:' || b.bill_id, 'AP', 'qbo', b.bill_id, b.doc_number, 'qbo:' || b.vendor_id, b.vendor_name,
           b.txn_date, b.due_date, b.currency, b.total_amount, null, b.is_voided, b.is_deleted, b.raw_key
    from {{ ref('stg_qbo__bills') }} as b
),

xero_docs as (
    select 'xero:Invoice:' || i.invoice_id, case when i.invoice_type = 'ACCREC' then 'AR' else 'AP' end, 'xero',
           i.invoice_id, i.invoice_number, 'xero:' || i.contact_id, i.contact_name, i.invoice_date, i.due_date,
           i.currency, i.total_amount, nullif(i.reference, ''), i.is_voided, i.is_deleted or i.status = 'DRAFT', i.raw_key
    from {{ ref('stg_xero__invoices') }} as i
),

unioned as (
    select * from qbo_invoices
    union all select * from qbo_bills
    union all select * from xero_docs
)

select u.*, e.entity_id
from unioned as u
join {{ ref('legal_entities') }} as e on e.ledger_source = u.source_system

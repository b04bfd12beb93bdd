-- One row per receivable (AR: sales invoice) or payable (AP: bill) document of every
-- entity, with its total, the deal reference it carries (QBO custom field "HubSpot Deal"
-- / Xero Reference), void / delete flags, and whether the ledger itself says it is paid.
with qbo_deal_refs as (
    select
        i.tenant_id,
        i.invoice_id,
        max(
            case
                when {{ json_str('f', '$.Name') }} = 'HubSpot Deal'
                    then nullif({{ json_str('f', '$.StringValue') }}, '')
            end
        ) as deal_reference
    from {{ json_each_row(ref('stg_qbo__invoices'), 'i', 'custom_fields', '$', 'f') }}
    group by i.tenant_id, i.invoice_id
),

qbo_invoices as (
    select
        {{ ledger_prefix('qbo', 'i.tenant_id') }} || ':Invoice:' || i.invoice_id as document_key,
        'AR' as document_kind,
        'qbo' as source_system,
        i.tenant_id,
        i.invoice_id as document_id,
        i.doc_number as document_number,
        {{ ledger_prefix('qbo', 'i.tenant_id') }} || ':' || i.customer_id as contact_key,
        i.customer_name as contact_name,
        i.txn_date as issued_on,
        i.due_date,
        i.currency,
        i.total_amount,
        r.deal_reference,
        i.is_voided,
        i.is_deleted,
        false as is_paid_at_source,
        i.raw_key
    from {{ ref('stg_qbo__invoices') }} as i
    left join qbo_deal_refs as r using (tenant_id, invoice_id)
),

qbo_bills as (
    select
        {{ ledger_prefix('qbo', 'b.tenant_id') }} || ':Bill:' || b.bill_id as document_key,
        'AP' as document_kind,
        'qbo' as source_system,
        b.tenant_id,
        b.bill_id as document_id,
        b.doc_number as document_number,
        {{ ledger_prefix('qbo', 'b.tenant_id') }} || ':' || b.vendor_id as contact_key,
        b.vendor_name as contact_name,
        b.txn_date as issued_on,
        b.due_date,
        b.currency,
        b.total_amount,
        null as deal_reference,
        b.is_voided,
        b.is_deleted,
        false as is_paid_at_source,
        b.raw_key
    from {{ ref('stg_qbo__bills') }} as b
),

xero_docs as (
    select
        {{ ledger_prefix('xero', 'i.tenant_id') }} || ':Invoice:' || i.invoice_id as document_key,
        case when i.invoice_type = 'ACCREC' then 'AR' else 'AP' end as document_kind,
        'xero' as source_system,
        i.tenant_id,
        i.invoice_id as document_id,
        i.invoice_number as document_number,
        {{ ledger_prefix('xero', 'i.tenant_id') }} || ':' || i.contact_id as contact_key,
        i.contact_name,
        i.invoice_date as issued_on,
        i.due_date,
        i.currency,
        i.total_amount,
        nullif(i.reference, '') as deal_reference,
        i.is_voided,
        i.is_deleted or i.status = 'DRAFT' as is_deleted,
        -- Xero says PAID: paid, even before its payment record has arrived
        i.status = 'PAID' as is_paid_at_source,
        i.raw_key
    from {{ ref('stg_xero__invoices') }} as i
),

unioned as (
    select * from qbo_invoices
    union all
    select * from qbo_bills
    union all
    select * from xero_docs
)

-- each tenant's documents belong to the legal entity seeds/source_tenants.csv maps it to
-- (a tenant not mapped posts nothing: its documents are in quarantine_records), and a
-- document the ledger could not post (int_journal_quarantine) is not open AR / AP either
select
    u.*,
    t.entity_id
from unioned as u
join {{ ref('source_tenants') }} as t on t.source_system = u.source_system and t.tenant_id = u.tenant_id
join {{ ref('legal_entities') }} as e on e.entity_id = t.entity_id
left join {{ ref('int_journal_quarantine') }} as q
    on
        q.source_system = u.source_system and q.tenant_id = u.tenant_id
        and q.document_type = split_part(u.document_key, ':', 2) and q.document_id = u.document_id
where q.document_id is null

-- Grain: one row per AR or AP document (sales invoice or bill) of every entity: total,
-- amount applied (payments and credits), open balance today, status and CRM deal link.
with applied as (
    select
        document_key,
        sum(amount) as applied_amount,
        max(applied_on) as last_applied_on
    from {{ ref('int_allocations') }}
    group by document_key
)

select
    d.document_key,
    d.entity_id,
    d.document_kind,
    d.document_id,
    d.document_number,
    d.contact_key,
    d.contact_name,
    d.issued_on,
    d.due_date,
    d.currency,
    d.total_amount,
    coalesce(a.applied_amount, 0) as applied_amount,
    case
        when d.is_voided or d.is_deleted or d.is_paid_at_source then 0
        else d.total_amount - coalesce(a.applied_amount, 0)
    end as open_amount,
    a.last_applied_on,
    case
        when d.is_deleted then 'deleted'
        when d.is_voided then 'voided'
        -- the ledger's own PAID status wins: its payment record may not have arrived yet
        when d.is_paid_at_source or d.total_amount - coalesce(a.applied_amount, 0) <= 0 then 'paid'
        when coalesce(a.applied_amount, 0) > 0 then 'partially_paid'
        else 'open'
    end as status,
    d.deal_reference,
    d.is_voided,
    d.is_deleted,
    d.source_system,
    d.document_id as source_id,
    d.raw_key,
    -- the resolved customer / vendor (parties): one name per party whatever the spelling
    p.party_key,
    coalesce(p.party_name, d.contact_name) as party_name
from {{ ref('int_ar_ap_documents') }} as d
left join applied as a using (document_key)
left join {{ ref('party_contacts') }} as p
    on p.contact_key = d.contact_key and p.party_kind = case d.document_kind when 'AR' then 'customer' else 'vendor' end

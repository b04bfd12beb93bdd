-- Grain: one row per fully paid AR invoice whose referenced HubSpot deal is not closed won.
select
    doc.document_key,
    doc.entity_id,
    doc.document_number,
    doc.deal_reference,
    d.deal_id,
    d.stage_id,
    d.stage_label,
    doc.total_amount,
    doc.currency,
    doc.last_applied_on as paid_on,
    doc.source_system,
    doc.source_id,
    doc.raw_key
from {{ ref('ar_ap_documents') }} as doc
join {{ ref('crm_deals') }} as d
    on {{ referenced_deal_id('doc.deal_reference') }} = d.deal_id
where doc.document_kind = 'AR' and doc.status = 'paid' and not d.is_won

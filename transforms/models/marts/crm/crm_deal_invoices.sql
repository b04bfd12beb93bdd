-- Grain: one row per HubSpot deal and AR invoice that names it (QBO "HubSpot Deal" custom
-- field / Xero Reference, `HS-DEAL-<id>`), plus one row per deal no invoice names (its
-- invoice columns NULL): the resolved deal → entity → invoice → paid link, so analysts
-- never parse references. The reference is matched on its trailing deal id, the rule the
-- integrity marts use (macro referenced_deal_id).
with invoices as (
    select
        {{ referenced_deal_id('deal_reference') }} as deal_id,
        document_key,
        entity_id,
        document_id,
        document_number,
        issued_on,
        due_date,
        currency,
        total_amount,
        applied_amount,
        open_amount,
        last_applied_on,
        status,
        is_voided,
        source_system,
        source_id
    from {{ ref('ar_ap_documents') }}
    where document_kind = 'AR' and deal_reference is not null and not is_deleted
),

linked as (
    select
        d.deal_id || ':' || coalesce(i.document_key, 'none') as link_key,
        d.deal_id,
        d.deal_name,
        d.stage_label,
        d.is_won,
        d.close_date,
        d.amount as deal_amount,
        d.currency as deal_currency,
        i.entity_id,
        i.document_key,
        i.document_id as invoice_id,
        i.document_number as invoice_number,
        i.source_system as invoice_source_system,
        i.issued_on as invoice_issued_on,
        i.due_date as invoice_due_date,
        i.currency as invoice_currency,
        i.total_amount as invoice_total,
        i.applied_amount as invoice_paid_amount,
        i.open_amount as invoice_open_amount,
        i.status as invoice_status,
        i.last_applied_on as invoice_last_paid_on,
        coalesce(i.status = 'paid', false) as invoice_is_paid
    from {{ ref('crm_deals') }} as d
    left join invoices as i on i.deal_id = d.deal_id
)

select
    *,
    -- voided invoices neither invoice nor pay a deal
    coalesce(max(case when invoice_status != 'voided' then 1 end) over (partition by deal_id), 0) = 1
        as deal_is_invoiced,
    coalesce(
        min(case when invoice_status != 'voided' then cast(invoice_is_paid as integer) end) over (partition by deal_id),
        0
    ) = 1
        as deal_is_paid
from linked

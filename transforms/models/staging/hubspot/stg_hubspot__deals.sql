-- One row per HubSpot deal, latest by the deal's own updatedAt (hs_lastmodifieddate).
-- Polls land CRM search pages ({results: [...]}); hydration lands single GET responses.
-- Archived deals, and deals named in a deal.deletion notification, are flagged deleted.
with {{ hubspot_deal_records() }},

renamed as (
    select
        tenant_id,
        nullif({{ json_str('deal', '$.id') }}, '') as deal_id,
        {{ json_str('deal', '$.properties.dealname') }} as deal_name,
        {{ json_str('deal', '$.properties.pipeline') }} as pipeline_id,
        {{ json_str('deal', '$.properties.dealstage') }} as stage_id,
        {{ to_amount(json_str('deal', '$.properties.amount')) }} as amount,
        upper(coalesce({{ json_str('deal', '$.properties.deal_currency_code') }}, 'USD')) as currency,
        coalesce(
            {{ json_str('deal', '$.properties.associatedcompanyid') }},
            {{ json_str('deal', '$.associations.companies.results[0].id') }}
        ) as company_id,
        {{ json_str('deal', '$.properties.invoice_reference') }} as invoice_reference,
        {{ iso_to_utc(json_str('deal', '$.properties.closedate')) }} as close_at,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('deal', '$.createdAt') ~ ', ' ~ json_str('deal', '$.properties.createdate') ~ ')'
        ) }} as created_at,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('deal', '$.updatedAt') ~ ', '
            ~ json_str('deal', '$.properties.hs_lastmodifieddate') ~ ')'
        ) }} as updated_at,
        coalesce(try_cast({{ json_str('deal', '$.archived') }} as boolean), false) as is_archived,
        deal as properties_json,
        {{ json_str('deal', '$.properties.ledgerlake_payment_status') }} as ledger_payment_status,
        try_cast(substr({{ json_str('deal', '$.properties.ledgerlake_paid_date') }}, 1, 10) as date) as ledger_paid_on,
        {{ to_amount(json_str('deal', '$.properties.ledgerlake_amount_outstanding')) }} as ledger_amount_outstanding,
        'hubspot' as source_system,
        raw_key,
        received_at
    from records
),

latest as (
    {{ dedupe(
        'select * from renamed where deal_id is not null',
        'tenant_id, deal_id',
        'updated_at desc nulls last, received_at desc, raw_key desc'
    ) }}
),

deletions as (
    select distinct
        tenant_id,
        object_id as deal_id
    from {{ ref('stg_hubspot__notifications') }}
    where subscription_type = 'deal.deletion'
)

select
    latest.tenant_id,
    latest.deal_id,
    latest.deal_name,
    latest.pipeline_id,
    latest.stage_id,
    latest.amount,
    latest.currency,
    latest.company_id,
    latest.invoice_reference,
    latest.close_at,
    latest.created_at,
    latest.updated_at,
    latest.is_archived or deletions.deal_id is not null as is_deleted,
    latest.properties_json,
    latest.source_system,
    latest.deal_id as source_id,
    latest.raw_key,
    latest.ledger_payment_status,
    latest.ledger_paid_on,
    latest.ledger_amount_outstanding
from latest
left join deletions using (tenant_id, deal_id)

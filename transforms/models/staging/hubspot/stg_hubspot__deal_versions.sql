-- One row per landed version of a HubSpot deal (every polled search page and hydration
-- holds the deal as it stood at its hs_lastmodifieddate), the same deal at the same stamp
-- kept once. stg_hubspot__deals keeps only the latest; this keeps the history the
-- pipeline snapshot is rebuilt from.
with {{ hubspot_deal_records() }},

renamed as (
    select
        tenant_id,
        nullif({{ json_str('deal', '$.id') }}, '') as deal_id,
        {{ json_str('deal', '$.properties.dealname') }} as deal_name,
        {{ json_str('deal', '$.properties.pipeline') }} as pipeline_id,
        {{ json_str('deal', '$.properties.dealstage') }} as stage_id,
        {{ json_str('deal', '$.properties.amount') }} as amount_text,
        upper(coalesce({{ json_str('deal', '$.properties.deal_currency_code') }}, 'USD')) as currency,
        {{ json_str('deal', '$.properties.closedate') }} as closedate_text,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('deal', '$.createdAt') ~ ', ' ~ json_str('deal', '$.properties.createdate') ~ ')'
        ) }} as created_at,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('deal', '$.updatedAt') ~ ', '
            ~ json_str('deal', '$.properties.hs_lastmodifieddate') ~ ')'
        ) }} as updated_at,
        'hubspot' as source_system,
        raw_key,
        received_at
    from records
)

select
    deal_id || ':' || cast(updated_at as varchar) as deal_version_key,
    tenant_id,
    deal_id,
    deal_name,
    pipeline_id,
    stage_id,
    {{ to_amount('amount_text') }} as amount,
    currency,
    {{ iso_to_utc('closedate_text') }} as close_at,
    created_at,
    updated_at,
    source_system,
    deal_id as source_id,
    raw_key
from ({{ dedupe(
    'select * from renamed where deal_id is not null and updated_at is not null',
    'tenant_id, deal_id, updated_at',
    'received_at desc, raw_key desc'
) }}) as v

-- One row per Xero webhook event (resourceId, eventCategory, eventType).
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('xero', 'notifications') }}
),

renamed as (
    select
        coalesce(
            {{ json_str('payload', '$.resourceId') }},
            ''
        ) || ':' || coalesce({{ json_str('payload', '$.eventDateUtc') }}, raw_key) as notification_key,
        {{ json_str('payload', '$.resourceId') }} as resource_id,
        {{ json_str('payload', '$.eventCategory') }} as event_category,
        {{ json_str('payload', '$.eventType') }} as event_type,
        {{ json_str('payload', '$.tenantId') }} as tenant_id,
        {{ iso_to_utc(json_str('payload', '$.eventDateUtc')) }} as event_at,
        'xero' as source_system,
        raw_key
    from raw
)

{{ dedupe('select * from renamed', 'notification_key', 'raw_key') }}

-- One row per HubSpot webhook event (v3: one event of a delivered batch per object).
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('hubspot', 'notifications') }}
),

renamed as (
    select
        coalesce(
            nullif({{ json_str('payload', '$.portalId') }}, ''),
            {{ tenant_id('hubspot', 'envelope') }}
        ) as tenant_id,
        coalesce({{ json_str('payload', '$.eventId') }}, raw_key) as notification_id,
        {{ json_str('payload', '$.subscriptionType') }} as subscription_type,
        {{ json_str('payload', '$.objectId') }} as object_id,
        {{ json_str('payload', '$.propertyName') }} as property_name,
        {{ json_str('payload', '$.propertyValue') }} as property_value,
        {{ from_unix_seconds('cast(' ~ json_str('payload', '$.occurredAt') ~ ' as bigint) / 1000') }} as occurred_at,
        'hubspot' as source_system,
        raw_key
    from raw
)

{{ dedupe('select * from renamed', 'tenant_id, notification_id', 'raw_key') }}

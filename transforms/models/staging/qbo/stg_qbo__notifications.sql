-- One row per entity change named in a QBO webhook (eventNotifications[].dataChangeEvent.entities[]).
with raw as (
    select * from {{ raw_objects('qbo', 'notifications') }}
),

notifications as (
    select raw.raw_key, n
    from raw {{ json_each('raw.payload', '$.eventNotifications', 'n') }}
),

entities as (
    select n.raw_key, {{ json_str('n.n', '$.realmId') }} as realm_id, e
    from notifications as n {{ json_each('n.n', '$.dataChangeEvent.entities', 'e') }}
),

renamed as (
    select
        raw_key || ':' || {{ json_str('e', '$.name') }} || ':' || {{ json_str('e', '$.id') }} || ':' || {{ json_str('e', '$.operation') }} as notification_key,
        realm_id,
        {{ json_str('e', '$.name') }} as entity_type,
        {{ json_str('e', '$.id') }} as record_id,
        {{ json_str('e', '$.operation') }} as operation,
        {{ iso_to_utc(json_str('e', '$.lastUpdated')) }} as last_updated_at,
        'qbo' as source_system,
        raw_key
    from entities
)

{{ dedupe('select * from renamed', 'notification_key', 'raw_key') }}

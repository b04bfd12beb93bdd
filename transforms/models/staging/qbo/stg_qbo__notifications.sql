-- One row per QBO entity change from webhooks. The receiver lands one change per object,
-- in either of Intuit's two formats: the legacy envelope ({realmId, dataChangeEvent:
-- {entities: [{name, id, operation, lastUpdated}]}}, also accepted wrapped in
-- eventNotifications[]) or a CloudEvent ({type: "qbo.invoice.voided.v1", intuitentityid,
-- intuitaccountid, time}).
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('qbo', 'notifications') }}
),

legacy_envelopes as (
    select
        raw_key,
        cast(payload as json) as n
    from raw
    where {{ json_get('payload', '$.dataChangeEvent') }} is not null
    union all
    select
        raw.raw_key,
        n
    from {{ json_each_row('raw', 'raw', 'payload', '$.eventNotifications', 'n') }}
),

legacy as (
    select
        l.raw_key,
        {{ json_str('l.n', '$.realmId') }} as realm_id,
        {{ json_str('e', '$.name') }} as entity_type,
        {{ json_str('e', '$.id') }} as record_id,
        {{ json_str('e', '$.operation') }} as operation,
        {{ json_str('e', '$.lastUpdated') }} as last_updated_text
    from {{ json_each_row('legacy_envelopes', 'l', 'n', '$.dataChangeEvent.entities', 'e') }}
),

cloudevents as (
    select
        raw_key,
        {{ json_str('payload', '$.intuitaccountid') }} as realm_id,
        -- qbo.<entity>.<operation>.v1; QBO entity names are CamelCase in the legacy format,
        -- so the lower-case CloudEvent name is matched case-insensitively downstream.
        split_part({{ json_str('payload', '$.type') }}, '.', 2) as entity_type,
        {{ json_str('payload', '$.intuitentityid') }} as record_id,
        case split_part({{ json_str('payload', '$.type') }}, '.', 3)
            when 'created' then 'Create' when 'updated' then 'Update' when 'deleted' then 'Delete'
            when 'voided' then 'Void' when 'merged' then 'Merge'
        end as operation,
        {{ json_str('payload', '$.time') }} as last_updated_text
    from raw
    where {{ json_str('payload', '$.specversion') }} is not null
),

unioned as (
    select
        raw_key,
        coalesce(nullif(realm_id, ''), {{ default_tenant('qbo') }}) as realm_id,
        entity_type,
        record_id,
        operation,
        last_updated_text
    from (
        select * from legacy
        union all
        select * from cloudevents
    ) as n
)

select distinct
    realm_id || ':' || lower(entity_type) || ':' || record_id || ':' || operation || ':'
    || coalesce(last_updated_text, '') as notification_key,
    realm_id,
    realm_id as tenant_id,
    lower(entity_type) as entity_type_lower,
    record_id,
    operation,
    {{ iso_to_utc('last_updated_text') }} as last_updated_at,
    'qbo' as source_system
from unioned

-- Every QuickBooks Online entity record, latest version per (realm, type, id) by the record's
-- own MetaData.LastUpdatedTime (then SyncToken). Records come from /cdc responses (all
-- types in one page; deletes as {"status": "Deleted"}) and from single-entity reads
-- (hydration, {"Invoice": {...}}). Deletes and voids named in webhook notifications
-- are applied too. Typed staging models (stg_qbo__invoices, …) read this one.
-- Keyed by (realm, type, id): QBO ids are unique only within a realm. A record without
-- an Id cannot be keyed and is in stg_qbo__quarantine instead.
with {{ qbo_raw_records() }},

renamed as (
    select
        realm_id || ':' || entity_type || ':' || record_id as record_key,
        *
    from (
        select
            entity_type,
            nullif({{ json_str('record', '$.Id') }}, '') as record_id,
            try_cast({{ json_str('record', '$.SyncToken') }} as integer) as sync_token,
            {{ iso_to_utc(json_str('record', '$.MetaData.LastUpdatedTime')) }} as updated_at,
            {{ iso_to_utc(json_str('record', '$.MetaData.CreateTime')) }} as created_at,
            coalesce({{ json_str('record', '$.status') }} = 'Deleted', false) as is_deleted_in_cdc,
            tenant_id as realm_id,
            record,
            raw_key,
            received_at
        from qbo_raw_records
    ) as r
    where record_id is not null
),

latest as (
    {{ dedupe(
        'select * from renamed',
        'realm_id, entity_type, record_id',
        'updated_at desc nulls last, sync_token desc nulls last, received_at desc, raw_key desc'
    ) }}
),

notified as (
    select
        realm_id,
        entity_type_lower,
        record_id,
        max(case when operation = 'Delete' then 1 else 0 end) = 1 as is_deleted,
        max(case when operation = 'Void' then 1 else 0 end) = 1 as is_voided
    from {{ ref('stg_qbo__notifications') }}
    group by realm_id, entity_type_lower, record_id
)

select
    latest.record_key,
    latest.entity_type,
    latest.record_id,
    latest.sync_token,
    latest.updated_at,
    latest.created_at,
    latest.is_deleted_in_cdc or coalesce(notified.is_deleted, false) as is_deleted,
    coalesce(notified.is_voided, false)
    or coalesce({{ json_str('latest.record', '$.PrivateNote') }} like 'Voided%', false) as is_voided,
    latest.realm_id,
    latest.realm_id as tenant_id,
    latest.record,
    'qbo' as source_system,
    latest.raw_key
from latest
left join notified
    on
        notified.realm_id = latest.realm_id and notified.entity_type_lower = lower(latest.entity_type)
        and notified.record_id = latest.record_id

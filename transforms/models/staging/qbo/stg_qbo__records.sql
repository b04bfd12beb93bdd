-- Every QuickBooks Online entity record, latest version per (type, id) by the record's
-- own MetaData.LastUpdatedTime (then SyncToken). Records come from /cdc responses (all
-- types in one page; deletes as {"status": "Deleted"}) and from single-entity reads
-- (hydration, {"Invoice": {...}}). Deletes and voids named in webhook notifications
-- are applied too. Typed staging models (stg_qbo__invoices, …) read this one.
{%- set entity_types = ['Invoice', 'Payment', 'Bill', 'BillPayment', 'Customer', 'Vendor', 'Account',
                        'JournalEntry', 'CreditMemo', 'Purchase', 'Deposit', 'SalesReceipt', 'RefundReceipt'] %}
with
{%- for t in entity_types %}
{{ t | lower }}_cdc as (
    select raw.raw_key, raw.received_at, raw.envelope, '{{ t }}' as entity_type, item as record
    from {{ json_each_row(raw_objects('qbo', 'cdc'), 'raw', 'payload', '$.CDCResponse[*].QueryResponse[*].' ~ t, 'item') }}
),
{{ t | lower }}_read as (
    select raw_key, received_at, envelope, '{{ t }}' as entity_type, {{ json_get('payload', '$.' ~ t) }} as record
    from {{ raw_objects('qbo', t | lower) }}
    where {{ json_get('payload', '$.' ~ t) }} is not null
),
{%- endfor %}

unioned as (
{%- for t in entity_types %}
    select * from {{ t | lower }}_cdc
    union all
    select * from {{ t | lower }}_read
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

renamed as (
    select
        entity_type || ':' || {{ json_str('record', '$.Id') }} as record_key,
        entity_type,
        {{ json_str('record', '$.Id') }} as record_id,
        cast({{ json_str('record', '$.SyncToken') }} as integer) as sync_token,
        {{ iso_to_utc(json_str('record', '$.MetaData.LastUpdatedTime')) }} as updated_at,
        {{ iso_to_utc(json_str('record', '$.MetaData.CreateTime')) }} as created_at,
        coalesce({{ json_str('record', '$.status') }} = 'Deleted', false) as is_deleted_in_cdc,
        coalesce(
            {{ json_str('envelope', '$.extra.realm_id') }},
            {{ json_str('envelope', '$.extra.request.realm_id') }},
            regexp_extract(coalesce({{ json_str('envelope', '$.extra.request.path') }}, {{ json_str('envelope', '$.extra.request.url') }}, ''), 'company/([^/]+)/', 1)
        ) as realm_id,
        record,
        raw_key,
        received_at
    from unioned
),

latest as (
    {{ dedupe('select * from renamed', 'record_key', 'updated_at desc nulls last, sync_token desc nulls last, received_at desc, raw_key desc') }}
),

notified as (
    select entity_type_lower, record_id,
           max(case when operation = 'Delete' then 1 else 0 end) = 1 as is_deleted,
           max(case when operation = 'Void' then 1 else 0 end) = 1 as is_voided
    from {{ ref('stg_qbo__notifications') }}
    group by entity_type_lower, record_id
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
    nullif(latest.realm_id, '') as realm_id,
    latest.record,
    'qbo' as source_system,
    latest.raw_key
from latest
left join notified
    on notified.entity_type_lower = lower(latest.entity_type) and notified.record_id = latest.record_id

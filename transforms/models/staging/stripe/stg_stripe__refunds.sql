-- Refunds arrive as their own objects (refund.* events) and embedded in charges
-- (charge.refunded carries charge.refunds.data); the standalone object wins.
with standalone as (
    select
        tenant_id,
        object as refund,
        created_unix,
        event_id,
        raw_key,
        source_system,
        0 as preference
    from {{ ref('stg_stripe__objects') }}
    where object_type = 'refund'
),

embedded as (
    select
        e.tenant_id,
        e.item as refund,
        e.created_unix,
        e.event_id,
        e.raw_key,
        e.source_system,
        1 as preference
    from {{ json_each_row(
        ref('stg_stripe__events'),
        'e',
        'object',
        '$.refunds.data',
        'item',
        where="e.object_type = 'charge'"
    ) }}
),

unioned as (
    select * from standalone
    union all
    select * from embedded
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('refund', '$.id') }}, '') as refund_id,
        {{ json_str('refund', '$.charge') }} as charge_id,
        {{ json_str('refund', '$.balance_transaction') }} as balance_transaction_id,
        upper({{ json_str('refund', '$.currency') }}) as currency,
        {{ minor_to_amount(json_str('refund', '$.amount'), json_str('refund', '$.currency')) }} as amount,
        {{ json_str('refund', '$.status') }} as status,
        {{ json_str('refund', '$.reason') }} as reason,
        {{ from_unix_seconds(json_str('refund', '$.created')) }} as created_at,
        created_unix as source_stamp,
        preference,
        source_system,
        {{ json_str('refund', '$.id') }} as source_id,
        event_id as source_event_id,
        raw_key
    from unioned
)

-- a refund without amount or currency has no money to count: it is in stg_stripe__quarantine
{{ dedupe(
    'select * from renamed where refund_id is not null and amount is not null and nullif(currency, \'\') is not null',
    'tenant_id, refund_id',
    'preference, source_stamp desc, source_event_id desc'
) }}

-- One row per Stripe Event, from webhooks (one Event per object) and /v1/events polls
-- (a list page per object). The same event arriving both ways is kept once.
-- Webhook and page are told apart by the `arrival` column, not by the payload's `object`:
-- a JSON filter cannot be pushed into the scan of an inlined CTE, and evaluated after it
-- over whole chunks of 300 KB pages it took gigabytes at scale 100. An event without an
-- id is in stg_stripe__quarantine instead.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('stripe', 'events') }}
),

webhook_events as (
    select
        raw_key,
        arrival,
        received_at,
        envelope,
        cast(payload as json) as event
    from raw
    where arrival = 'webhook'
),

polled_events as (
    select
        raw.raw_key,
        raw.arrival,
        raw.received_at,
        raw.envelope,
        raw.item as event
    from {{ json_each_row('raw', 'raw', 'payload', '$.data', 'item', where="raw.arrival = 'poll'") }}
),

unioned as (
    select * from webhook_events
    union all
    select * from polled_events
),

renamed as (
    select
        -- ids (a Connect event names its account; the platform's own events do not)
        coalesce(nullif({{ json_str('event', '$.account') }}, ''), {{ tenant_id('stripe', 'envelope') }}) as tenant_id,
        nullif({{ json_str('event', '$.id') }}, '') as event_id,
        {{ json_str('event', '$.type') }} as event_type,
        -- an object without its `object` field is named by the event type: charge.succeeded ->
        -- charge; charge.refund.updated -> refund, customer.subscription.* -> subscription
        coalesce(
            nullif({{ json_str('event', '$.data.object.object') }}, ''),
            case when
                {{ json_str(
                    'event',
                    '$.type'
                ) }} like 'charge.%.%' or {{ json_str('event', '$.type') }} like 'customer.%.%'
                or {{ json_str('event', '$.type') }} like 'invoice.%.%'
                then regexp_extract(regexp_replace({{ json_str('event', '$.type') }}, '[.][^.]+$', ''), '[^.]+$', 0)
            else regexp_replace({{ json_str('event', '$.type') }}, '[.][^.]+$', '') end
        ) as object_type,
        {{ json_str('event', '$.data.object.id') }} as object_id,
        -- payload
        {{ json_get('event', '$.data.object') }} as object,
        {{ json_str('event', '$.api_version') }} as api_version,
        try_cast({{ json_str('event', '$.livemode') }} as boolean) as is_livemode,
        -- timestamps
        {{ from_unix_seconds(json_str('event', '$.created')) }} as created_at,
        try_cast({{ json_str('event', '$.created') }} as bigint) as created_unix,
        -- lineage
        'stripe' as source_system,
        raw_key,
        arrival
    from unioned
)

{{ dedupe(
    'select * from renamed where event_id is not null',
    'tenant_id, event_id',
    "case when arrival = 'webhook' then 0 else 1 end, raw_key"
) }}

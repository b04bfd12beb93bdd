-- Stripe records that cannot be staged: events without an id or whose data.object has no
-- id (a webhook body of an unexpected kind), charges and refunds without amount or
-- currency, balance transactions without an id, and polled list pages without `data`.
-- Unioned into marts/ops/quarantine_records.
with events_raw as {{ inline_cte() }} (
    select * from {{ raw_objects('stripe', 'events') }}
),

events as (
    select
        raw_key,
        envelope,
        cast(payload as json) as event
    from events_raw
    where arrival = 'webhook'
    union all
    select
        raw.raw_key,
        raw.envelope,
        item
    from {{ json_each_row('events_raw', 'raw', 'payload', '$.data', 'item', where="raw.arrival = 'poll'") }}
),

balance_items as (
    select
        raw.raw_key,
        raw.envelope,
        raw.item
    from {{ json_each_row(raw_objects('stripe', 'balance_transactions'), 'raw', 'payload', '$.data', 'item') }}
),

found as (
    select
        {{ tenant_id('stripe', 'envelope') }} as tenant_id,
        'events' as entity,
        nullif({{ json_str('event', '$.id') }}, '') as source_id,
        raw_key,
        case
            when nullif({{ json_str('event', '$.id') }}, '') is null then 'no id: an event without its id'
            else 'no id: an event whose data.object has no id'
        end as reason,
        event as content
    from events
    where
        nullif({{ json_str('event', '$.id') }}, '') is null
        or nullif({{ json_str('event', '$.data.object.id') }}, '') is null
    union all
    -- a charge or refund without a numeric amount or a currency (both required by Stripe's
    -- schema): staging cannot count its money, so it is set aside rather than summed as NULL
    select
        tenant_id,
        object_type || 's' as entity,
        object_id as source_id,
        raw_key,
        'wrong shape: a ' || object_type || ' without a numeric amount or a currency' as reason,
        object as content
    from {{ ref('stg_stripe__objects') }}
    where
        object_type in ('charge', 'refund')
        and (
            try_cast({{ json_str('object', '$.amount') }} as decimal(38, 6)) is null
            or nullif({{ json_str('object', '$.currency') }}, '') is null
        )
    union all
    select
        {{ tenant_id('stripe', 'envelope') }} as tenant_id,
        'balance_transactions' as entity,
        null as source_id,
        raw_key,
        'no id: a balance transaction without its id' as reason,
        item as content
    from balance_items
    where nullif({{ json_str('item', '$.id') }}, '') is null
)

select distinct
    {{ quarantine_columns('stripe', 'tenant_id', 'entity', 'source_id', 'raw_key', 'reason', 'content') }}
from found
union all
{{ quarantine_wrong_shape('stripe', 'events', '$.data', where="arrival = 'poll'") }}
union all
{{ quarantine_wrong_shape('stripe', 'balance_transactions', '$.data') }}

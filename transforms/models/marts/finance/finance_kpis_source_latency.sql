-- Grain: one row per period (`period`: day, week or month), period start and source system:
-- how long the webhooks that landed in the period took to reach the marts, p50 and p95 in
-- seconds. Measured per raw webhook object (a hydrated record counts from the webhook that
-- triggered it):
--   delivery      the provider's event time (envelope occurred_at) → received in the lake
--   lake_to_mart  received in the lake → compacted by the build that published it
--   event_to_mart the two together (from receipt when the provider gives no event time)
-- The build publishes its marts after the compaction stamp, by its own duration (the
-- transform reports it; docs/benchmarks.md). Objects compacted before the stamp existed
-- count in `webhooks` but not in the latencies.
with raw as {{ inline_cte() }} (
    select
        source as source_system,
        {{ iso_to_utc(json_str('envelope', '$.occurred_at')) }} as occurred_at,
        {{ iso_to_utc('received_at') }} as received_at,
        {{ iso_to_utc('compacted_at') }} as compacted_at
    from {{ source('lake', 'compacted') }}
    where raw_key is not null and arrival in ('webhook', 'hydrate')
),

objects as (
    select
        source_system,
        cast(received_at as date) as received_on,
        {{ seconds_between('occurred_at', 'received_at') }} as delivery_seconds,
        {{ seconds_between('received_at', 'compacted_at') }} as lake_to_mart_seconds,
        {{ seconds_between('coalesce(occurred_at, received_at)', 'compacted_at') }} as event_to_mart_seconds
    from raw
    where received_at is not null
),

periods as (
    select
        'day' as period,
        o.received_on as period_start,
        o.*
    from objects as o
    union all
    select
        'week' as period,
        {{ week_start('o.received_on') }} as period_start,
        o.*
    from objects as o
    union all
    select
        'month' as period,
        {{ month_start('o.received_on') }} as period_start,
        o.*
    from objects as o
)

select
    period || ':' || cast(period_start as varchar) || ':' || source_system as latency_key,
    period,
    period_start,
    source_system,
    count(*) as webhooks,
    count(delivery_seconds) as webhooks_with_event_time,
    count(lake_to_mart_seconds) as webhooks_published,
    {{ percentile('delivery_seconds', 0.5) }} as delivery_p50_seconds,
    {{ percentile('delivery_seconds', 0.95) }} as delivery_p95_seconds,
    {{ percentile('lake_to_mart_seconds', 0.5) }} as lake_to_mart_p50_seconds,
    {{ percentile('lake_to_mart_seconds', 0.95) }} as lake_to_mart_p95_seconds,
    {{ percentile('event_to_mart_seconds', 0.5) }} as event_to_mart_p50_seconds,
    {{ percentile('event_to_mart_seconds', 0.95) }} as event_to_mart_p95_seconds
from periods
group by period, period_start, source_system

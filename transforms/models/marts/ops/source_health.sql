-- Grain: one row per source system and legal entity (seeds/source_entities.csv; 'all' for
-- a source whose records span entities: HubSpot, Plaid): when the last webhook event and
-- the last polled page landed in the raw lake, and how many raw objects it holds, by way
-- of arrival, read from the compacted raw objects' envelopes, and how many of its records
-- the build quarantined.
-- A poll that found nothing new lands nothing (polling keeps no empty pages), so
-- `last_poll_succeeded_at` is the last poll that brought data; the poller's own run
-- times live in its cursors (s3://{raw}/state/cursors/), which the marts do not read.
{%- set sources = ['stripe', 'shopify', 'hubspot', 'qbo', 'xero', 'plaid'] %}
with raw as {{ inline_cte() }} (
    select
        source,
        arrival,
        {{ iso_to_utc('received_at') }} as received_at,
        partition_date
    from {{ source('lake', 'compacted') }}
    where raw_key is not null
),

known as (
    {%- for s in sources %}
        select '{{ s }}' as source_system{% if not loop.last %}
            union all{% endif %}
    {%- endfor %}
),

systems as (
    select
        k.source_system,
        coalesce(se.entity_id, 'all') as entity_id
    from known as k
    left join {{ ref('source_entities') }} as se on se.source_system = k.source_system
),

per_source as (
    select
        source as source_system,
        max(case when arrival = 'webhook' then received_at end) as last_event_received_at,
        max(case when arrival = 'poll' then received_at end) as last_poll_succeeded_at,
        max(case when arrival = 'hydrate' then received_at end) as last_hydrated_at,
        min(received_at) as first_received_at,
        max(partition_date) as latest_record_date,
        count(*) as raw_objects,
        sum(case when arrival = 'webhook' then 1 else 0 end) as webhook_objects,
        sum(case when arrival = 'poll' then 1 else 0 end) as poll_objects,
        sum(case when arrival = 'hydrate' then 1 else 0 end) as hydrate_objects
    from raw
    group by source
),

quarantined as (
    select
        source_system,
        count(*) as quarantined_records
    from {{ ref('quarantine_records') }}
    group by source_system
)

select
    s.source_system || ':' || s.entity_id as source_health_key,
    s.source_system,
    s.entity_id,
    {{ utc_timestamptz("p.last_event_received_at") }} as last_event_received_at,
    {{ utc_timestamptz("p.last_poll_succeeded_at") }} as last_poll_succeeded_at,
    {{ utc_timestamptz("p.last_hydrated_at") }} as last_hydrated_at,
    {{ utc_timestamptz("p.first_received_at") }} as first_received_at,
    p.latest_record_date,
    coalesce(p.raw_objects, 0) as raw_objects,
    coalesce(p.webhook_objects, 0) as webhook_objects,
    coalesce(p.poll_objects, 0) as poll_objects,
    coalesce(p.hydrate_objects, 0) as hydrate_objects,
    -- records the build set aside (marts.quarantine_records; `ledgerlake quarantine list`)
    coalesce(q.quarantined_records, 0) as quarantined_records
from systems as s
left join per_source as p using (source_system)
left join quarantined as q using (source_system)

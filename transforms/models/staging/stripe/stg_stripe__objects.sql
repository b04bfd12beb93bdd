-- The latest state of every object Stripe has sent events about: one row per object,
-- taken from the newest event (Stripe objects carry no update stamp; the event's
-- `created` is the provider's own ordering). Typed per-object staging models read this.
with events as (
    select
        *,
        case
            when event_type like '%.deleted' then 3
            when event_type like '%.voided' or event_type like '%.canceled' or event_type like '%.failed' then 2
            when event_type like '%.created' then 0
            else 1
        end as type_rank
    from {{ ref('stg_stripe__events') }}
    where object_id is not null
)

{{ dedupe(
    'select *, event_type like \'%.deleted\' as is_deleted from events',
    'tenant_id, object_type, object_id',
    'created_unix desc, type_rank desc, event_id desc'
) }}

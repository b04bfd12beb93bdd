-- One row per version of a Stripe subscription: every customer.subscription.* event
-- carries the whole object as it stood, so the history (plan, quantity, status) comes
-- from the events, not only the latest state. `monthly_amount` is the recurring amount
-- per month: Σ items unit_amount × quantity, yearly prices ÷ 12, weekly × 52 ÷ 12
-- (the same normalisation as stg_stripe__subscriptions); `mrr` counts it only while the
-- subscription is billing (active, past_due), so trialing, canceled, incomplete,
-- unpaid and paused subscriptions contribute 0.
with versions as (
    select
        e.object_id as subscription_id,
        e.event_id,
        e.event_type,
        e.created_at as valid_from,
        e.created_unix,
        {{ json_str('e.object', '$.customer') }} as customer_id,
        {{ json_str('e.object', '$.status') }} as status,
        e.object,
        e.raw_key
    from {{ ref('stg_stripe__events') }} as e
    where e.object_type = 'subscription'
),

items as (
    select
        v.event_id,
        upper({{ json_str('item', '$.price.currency') }}) as currency,
        cast({{ json_str('item', '$.price.unit_amount') }} as bigint)
        * coalesce(cast({{ json_str('item', '$.quantity') }} as bigint), 1) as item_minor,
        {{ json_str('item', '$.price.recurring.interval') }} as price_interval,
        coalesce(cast({{ json_str('item', '$.price.recurring.interval_count') }} as integer), 1) as interval_count
    from {{ json_each_row('versions', 'v', 'object', '$.items.data', 'item') }}
),

monthly as (
    select
        event_id,
        min(currency) as currency,
        sum(
            {{ divide_money(
                minor_to_amount('item_minor', 'currency') ~ " * case price_interval when 'week' then 52 else 1 end",
                "case price_interval when 'year' then 12 when 'week' then 12 else 1 end * interval_count"
            ) }}
        ) as monthly_raw
    from items
    group by event_id
),

ordered as (
    select
        v.*,
        m.currency,
        {{ round_to_currency('coalesce(m.monthly_raw, 0)', 'm.currency') }} as monthly_amount,
        -- several events in one second: deletes and cancels after updates, updates after creates
        row_number() over (
            partition by v.subscription_id
            order by
                v.created_unix,
                case when v.event_type like '%.deleted' then 3 when v.event_type like '%.created' then 0 else 1 end,
                v.event_id
        ) as version_number
    from versions as v
    left join monthly as m using (event_id)
)

select
    o.subscription_id || ':' || cast(o.version_number as varchar) as subscription_version_key,
    o.subscription_id,
    o.version_number,
    o.customer_id,
    se.entity_id,
    o.status,
    o.currency,
    o.monthly_amount,
    case when o.status in ('active', 'past_due') then o.monthly_amount else cast(0 as {{ money_type() }}) end as mrr,
    o.valid_from,
    lead(o.valid_from) over (partition by o.subscription_id order by o.version_number) as valid_to,
    o.event_type,
    'stripe' as source_system,
    o.subscription_id as source_id,
    o.event_id as source_event_id,
    o.raw_key
from ordered as o
left join {{ ref('source_entities') }} as se on se.source_system = 'stripe'

-- One row per Stripe customer, currency and calendar month, from the month the customer
-- first had a subscription to the last month in the lake: MRR at the month's end (the
-- subscription versions in force at 23:59:59 UTC on its last day, summed over the
-- customer's subscriptions), the previous month's, and the movement between them.
-- Movements are per customer, so a second subscription is expansion, not new:
--   new          0 → > 0 (also a customer coming back after churning)
--   expansion    up, from > 0
--   contraction  down, to > 0
--   churn        > 0 → 0
with versions as (
    select * from {{ ref('int_subscription_versions') }}
    where currency is not null
),

last_event as (
    select max(created_at) as created_at from {{ ref('stg_stripe__events') }}
),

bounds as (
    select
        {{ month_start('min(valid_from)') }} as first_month,
        {{ month_start('max(e.created_at)') }} as last_month
    from versions
    cross join last_event as e
),

months as (
    select distinct {{ month_start('s.day') }} as period_month
    from bounds cross join {{ date_spine('bounds.first_month', 'bounds.last_month') }} as s
),

customers as (
    select
        customer_id,
        currency,
        max(entity_id) as entity_id,
        {{ month_start('min(valid_from)') }} as first_month
    from versions
    group by customer_id, currency
),

grid as (
    select
        c.customer_id,
        c.currency,
        c.entity_id,
        m.period_month
    from customers as c
    join months as m on m.period_month >= c.first_month
),

at_month_end as (
    -- the version of each subscription in force at the end of the month
    select
        g.customer_id,
        g.currency,
        g.period_month,
        sum(v.mrr) as mrr,
        count(*) as subscriptions
    from grid as g
    join versions as v
        on
            v.customer_id = g.customer_id and v.currency = g.currency
            and v.valid_from < cast({{ add_months('g.period_month', 1) }} as timestamp)
            and (v.valid_to is null or v.valid_to >= cast({{ add_months('g.period_month', 1) }} as timestamp))
    where v.mrr > 0
    group by g.customer_id, g.currency, g.period_month
),

with_previous as (
    select
        g.entity_id,
        g.customer_id,
        g.currency,
        g.period_month,
        coalesce(a.mrr, 0) as mrr,
        coalesce(a.subscriptions, 0) as active_subscriptions,
        coalesce(
            lag(coalesce(a.mrr, 0)) over (partition by g.customer_id, g.currency order by g.period_month),
            0
        ) as previous_mrr
    from grid as g
    left join at_month_end as a using (customer_id, currency, period_month)
)

select
    customer_id || ':' || currency || ':' || cast(period_month as varchar) as customer_month_key,
    entity_id,
    customer_id,
    currency,
    period_month,
    previous_mrr,
    mrr,
    mrr - previous_mrr as mrr_change,
    active_subscriptions,
    case
        when previous_mrr = 0 and mrr > 0 then 'new'
        when previous_mrr > 0 and mrr = 0 then 'churn'
        when mrr > previous_mrr then 'expansion'
        when mrr < previous_mrr then 'contraction'
    end as movement_type,
    'stripe' as source_system,
    customer_id as source_id
from with_previous
where mrr != 0 or previous_mrr != 0

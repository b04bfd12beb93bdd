-- Grain: one row per entity, calendar month, currency and MRR movement type (new,
-- expansion, contraction, churn), every type present every month (0 when nothing moved):
-- the change in monthly recurring revenue from Stripe subscriptions, month end against
-- the previous month end, monthly and annual plans normalised to a month.
{%- set reporting = var('reporting_currency') %}
with movements as (
    select * from {{ ref('int_mrr_customer_month') }}
),

months as (
    select distinct
        entity_id,
        currency,
        period_month
    from movements
),

types as (
    select
        'new' as movement_type,
        1 as movement_order
    union all
    select
        'expansion' as movement_type,
        2 as movement_order
    union all
    select
        'contraction' as movement_type,
        3 as movement_order
    union all
    select
        'churn' as movement_type,
        4 as movement_order
),

summed as (
    select
        entity_id,
        currency,
        period_month,
        movement_type,
        sum(mrr_change) as mrr_change,
        count(*) as customers
    from movements
    where movement_type is not null
    group by entity_id, currency, period_month, movement_type
),

closing as (
    select
        entity_id,
        currency,
        period_month,
        sum(mrr) as closing_mrr
    from movements
    group by entity_id, currency, period_month
)

select
    m.entity_id || ':' || m.currency || ':' || cast(m.period_month as varchar) || ':' || t.movement_type
        as mrr_movement_key,
    m.entity_id,
    m.period_month,
    t.movement_type,
    t.movement_order,
    m.currency,
    coalesce(s.mrr_change, 0) as mrr_change,
    coalesce(s.customers, 0) as customers,
    c.closing_mrr,
    '{{ reporting }}' as reporting_currency,
    -- (named for the month end: the dashboard joins its own rate as `fx_rate`)
    fx.rate as fx_rate_month_end,
    fx.published_on as fx_rate_month_end_date,
    {{ to_reporting('coalesce(s.mrr_change, 0)', 'fx.rate') }} as mrr_change_reporting,
    'stripe' as source_system
from months as m
cross join types as t
left join summed as s
    on
        s.entity_id = m.entity_id and s.currency = m.currency and s.period_month = m.period_month
        and s.movement_type = t.movement_type
left join closing as c
    on c.entity_id = m.entity_id and c.currency = m.currency and c.period_month = m.period_month
left join {{ ref('int_fx_rates_daily') }} as fx
    on fx.currency = m.currency and fx.rate_date = {{ month_end('m.period_month') }}

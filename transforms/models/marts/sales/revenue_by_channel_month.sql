-- Grain: one row per entity, calendar month, sales channel and transaction currency: the
-- month's orders, sales, refunds and revenue (revenue_by_channel_daily summed), in the
-- transaction currency, and in functional and reporting currency as converted day by day.
select
    entity_id || ':' || cast(period_month as varchar) || ':' || channel || ':' || currency as revenue_channel_month_key,
    entity_id,
    period_month,
    channel,
    currency,
    sum(orders) as orders,
    sum(sales) as sales,
    sum(refunds) as refunds,
    sum(revenue) as revenue,
    max(functional_currency) as functional_currency,
    sum(revenue_functional) as revenue_functional,
    max(reporting_currency) as reporting_currency,
    sum(revenue_reporting) as revenue_reporting
from {{ ref('revenue_by_channel_daily') }}
group by entity_id, period_month, channel, currency

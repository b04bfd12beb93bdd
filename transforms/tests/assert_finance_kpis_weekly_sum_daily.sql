-- Weekly KPIs are the days' sums (flows) and the last day's values (stocks): any week
-- whose revenue, collections, bookings, burn or closing cash differs from its days is listed.
with d as (
    select
        week_start,
        sum(revenue) as revenue,
        sum(collections) as collections,
        sum(bookings) as bookings,
        sum(net_burn) as net_burn,
        max(date) as last_date
    from {{ ref('finance_kpis_daily') }}
    group by week_start
)

select w.week_start
from {{ ref('finance_kpis_weekly') }} as w
join d using (week_start)
join {{ ref('finance_kpis_daily') }} as last_day on last_day.date = d.last_date
where
    w.revenue != d.revenue or w.collections != d.collections or w.bookings != d.bookings
    or w.net_burn != d.net_burn or w.cash_balance is distinct from last_day.cash_balance

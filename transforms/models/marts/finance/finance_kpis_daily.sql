-- Grain: one row per calendar day: the finance KPIs of all legal entities together
-- (consolidated) in the reporting currency, each entity's amounts converted at that
-- day's rate (finance_kpis_entity_daily has them per entity, in functional currency too).
-- Ratios are rebuilt from the consolidated amounts, never averaged: runway = cash ÷
-- average monthly net burn of the trailing 90 days; DSO / DPO = open AR / AP ÷ invoiced /
-- billed in the trailing 90 days × 90; gross margin, invoice error rate and duplicate
-- payment rate from the day's counts and amounts.
with entity_days as (
    select * from {{ ref('finance_kpis_entity_daily') }}
),

daily as (
    select
        date,
        max(week_start) as week_start,
        max(period_month) as period_month,
        max(reporting_currency) as reporting_currency,
        count(*) as entities,
        sum(revenue_reporting) as revenue,
        sum(cost_of_sales_reporting) as cost_of_sales,
        sum(bookings_reporting) as bookings,
        sum(collections_reporting) as collections,
        sum(cash_balance_reporting) as cash_balance,
        sum(cash_in_reporting) as cash_in,
        sum(cash_out_reporting) as cash_out,
        sum(ar_open_reporting) as ar_open,
        sum(ar_overdue_reporting) as ar_overdue,
        sum(ap_open_reporting) as ap_open,
        sum(ar_invoiced_reporting) as ar_invoiced,
        sum(ap_billed_reporting) as ap_billed,
        {{ process_kpi_sums() }},
        sum(unreconciled_lines) as unreconciled_lines,
        max(oldest_unreconciled_days) as oldest_unreconciled_days,
        min(last_closed_month) as last_closed_month
    from entity_days
    group by date
),

rolling as (
    select
        d.*,
        count(*) over w as days_in_window,
        sum(d.cash_out - d.cash_in) over w as net_burn_90d,
        sum(d.ar_invoiced) over w as ar_invoiced_90d,
        sum(d.ap_billed) over w as ap_billed_90d
    from daily as d
    window w as (order by date rows between 89 preceding and current row)
)

select
    date,
    week_start,
    period_month,
    reporting_currency,
    entities,
    revenue,
    cost_of_sales,
    {{ ratio('(revenue - cost_of_sales) * 100', 'revenue') }} as gross_margin_pct,
    bookings,
    collections,
    cash_balance,
    cash_in,
    cash_out,
    cash_out as gross_burn,
    cash_out - cash_in as net_burn,
    net_burn_90d,
    case
        when days_in_window = 90 and net_burn_90d > 0 then {{ ratio('cash_balance * 3', 'net_burn_90d') }}
    end as runway_months,
    ar_open,
    ar_overdue,
    ap_open,
    ar_invoiced,
    ap_billed,
    case when days_in_window = 90 then {{ ratio('ar_open * 90', 'ar_invoiced_90d', 1) }} end as dso_days,
    case when days_in_window = 90 then {{ ratio('ap_open * 90', 'ap_billed_90d', 1) }} end as dpo_days,
    -- process KPIs, all entities (the group closes when its last entity does)
    {{ process_kpi_columns('') }},
    unreconciled_lines,
    oldest_unreconciled_days,
    last_closed_month,
    {{ days_between(month_end('last_closed_month'), 'date') }} as days_since_close,
    {{ process_kpi_tail_columns('') }}
from rolling

-- Grain: one row per ISO week (Monday to Sunday) with data: the consolidated finance KPIs
-- in the reporting currency. Flows (revenue, bookings, collections, burn, …) are the sums
-- of finance_kpis_daily over the week's days; stocks (cash, open AR / AP) and the ratios
-- that rest on them (runway, DSO, DPO) are the week's last day's; gross margin and the
-- error rates are rebuilt from the week's sums, as are the reconciliation rates (auto-match,
-- auto-coding coverage and precision); the review queue and the last closed month are the
-- week's last day's. `is_complete` is false for a week the data does not cover to its Sunday.
with days as (
    select * from {{ ref('finance_kpis_daily') }}
),

weeks as (
    select
        week_start,
        max(reporting_currency) as reporting_currency,
        count(*) as days_in_data,
        max(date) as last_date,
        sum(revenue) as revenue,
        sum(cost_of_sales) as cost_of_sales,
        sum(bookings) as bookings,
        sum(collections) as collections,
        sum(cash_in) as cash_in,
        sum(cash_out) as cash_out,
        sum(ar_invoiced) as ar_invoiced,
        sum(ap_billed) as ap_billed,
        {{ process_kpi_sums() }}
    from days
    group by week_start
)

select
    w.week_start,
    {{ add_days('w.week_start', 6) }} as week_end,
    w.days_in_data,
    w.days_in_data = 7 as is_complete,
    w.reporting_currency,
    w.revenue,
    w.cost_of_sales,
    {{ ratio('(w.revenue - w.cost_of_sales) * 100', 'w.revenue') }} as gross_margin_pct,
    w.bookings,
    w.collections,
    d.cash_balance,
    w.cash_in,
    w.cash_out,
    w.cash_out as gross_burn,
    w.cash_out - w.cash_in as net_burn,
    d.runway_months,
    d.ar_open,
    d.ar_overdue,
    d.ap_open,
    w.ar_invoiced,
    w.ap_billed,
    d.dso_days,
    d.dpo_days,
    {{ process_kpi_columns('w.') }},
    d.unreconciled_lines,
    d.oldest_unreconciled_days,
    d.last_closed_month,
    d.days_since_close,
    {{ process_kpi_tail_columns('w.') }}
from weeks as w
join days as d on d.date = w.last_date

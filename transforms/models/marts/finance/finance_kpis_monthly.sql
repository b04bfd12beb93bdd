-- Grain: one row per legal entity and calendar month with data: the entity's finance KPIs
-- in the reporting currency (each day converted at its own rate; month-end stocks at the
-- month end's rate), with the functional-currency amounts and the month-end rate beside
-- them. No consolidated row: consumers add entities up (the dashboard does, rebuilding
-- the ratios from their parts). Flows are the month's sums of finance_kpis_entity_daily;
-- stocks and the ratios resting on them (runway, DSO, DPO) are the month's last day's;
-- `burn` is the month's net burn; `mrr` is Stripe MRR at the month end. Invoice error,
-- duplicate payment, auto-match and auto-coding rates are rebuilt from the month's counts;
-- the review queue and the last closed month are the month's last day's.
with days as (
    select * from {{ ref('finance_kpis_entity_daily') }}
),

months as (
    select
        entity_id,
        period_month,
        max(functional_currency) as functional_currency,
        max(reporting_currency) as reporting_currency,
        count(*) as days_in_data,
        max(date) as last_date,
        sum(revenue) as revenue_functional,
        sum(revenue_reporting) as revenue,
        sum(cost_of_sales_reporting) as cost_of_sales,
        sum(bookings_reporting) as bookings,
        sum(collections_reporting) as collections,
        sum(cash_in_reporting) as cash_in,
        sum(cash_out_reporting) as cash_out,
        sum(net_burn) as net_burn_functional,
        {{ process_kpi_sums() }}
    from days
    group by entity_id, period_month
),

mrr as (
    select
        entity_id,
        period_month,
        currency,
        sum(mrr) as mrr
    from {{ ref('int_mrr_customer_month') }}
    group by entity_id, period_month, currency
),

mrr_reporting as (
    select
        m.entity_id,
        m.period_month,
        sum({{ to_reporting('m.mrr', 'fx.rate') }}) as mrr
    from mrr as m
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency = m.currency and fx.rate_date = {{ month_end('m.period_month') }}
    group by m.entity_id, m.period_month
)

select
    m.entity_id || ':' || cast(m.period_month as varchar) as kpi_key,
    m.entity_id,
    m.period_month,
    m.last_date as period_end,
    m.days_in_data,
    m.last_date = {{ month_end('m.period_month') }} as is_complete,
    m.reporting_currency,
    m.revenue,
    m.cost_of_sales,
    {{ ratio('(m.revenue - m.cost_of_sales) * 100', 'm.revenue') }} as gross_margin_pct,
    m.bookings,
    m.collections,
    d.cash_balance_reporting as cash_balance,
    m.cash_in,
    m.cash_out,
    m.cash_out as gross_burn,
    m.cash_out - m.cash_in as net_burn,
    m.cash_out - m.cash_in as burn,
    coalesce(r.mrr, 0) as mrr,
    d.runway_months,
    d.dso_days,
    d.dpo_days,
    d.ar_open_reporting as ar_open,
    d.ar_overdue_reporting as ar_overdue,
    d.ap_open_reporting as ap_open,
    {{ process_kpi_columns('m.') }},
    d.unreconciled_lines,
    d.oldest_unreconciled_days,
    d.last_closed_month,
    d.days_since_close,
    -- functional currency and the month-end rate
    m.functional_currency,
    m.revenue_functional,
    d.cash_balance as cash_balance_functional,
    m.net_burn_functional,
    d.fx_rate as fx_rate_month_end,
    d.fx_rate_date as fx_rate_month_end_date,
    {{ process_kpi_tail_columns('m.') }}
from months as m
join days as d on d.entity_id = m.entity_id and d.date = m.last_date
left join mrr_reporting as r on r.entity_id = m.entity_id and r.period_month = m.period_month

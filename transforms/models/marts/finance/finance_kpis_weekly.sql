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
        sum(invoices_issued) as invoices_issued,
        sum(invoices_voided) as invoices_voided,
        sum(invoices_credited) as invoices_credited,
        sum(invoices_in_error) as invoices_in_error,
        sum(bills_paid) as bills_paid,
        sum(duplicate_bills_paid) as duplicate_bills_paid,
        sum(bank_lines) as bank_lines,
        sum(bank_lines_matched) as bank_lines_matched,
        sum(bank_lines_auto_coded) as bank_lines_auto_coded,
        sum(judged_auto_codes) as judged_auto_codes,
        sum(correct_auto_codes) as correct_auto_codes
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
    w.invoices_issued,
    w.invoices_voided,
    w.invoices_credited,
    w.invoices_in_error,
    {{ ratio('w.invoices_in_error * 100', 'w.invoices_issued') }} as invoice_error_rate_pct,
    w.bills_paid,
    w.duplicate_bills_paid,
    {{ ratio('w.duplicate_bills_paid * 100', 'w.bills_paid') }} as duplicate_payment_rate_pct,
    w.bank_lines,
    w.bank_lines_matched,
    {{ ratio('w.bank_lines_matched * 100', 'w.bank_lines') }} as auto_match_rate_pct,
    w.bank_lines_auto_coded,
    {{ ratio('w.bank_lines_auto_coded * 100', 'w.bank_lines - w.bank_lines_matched') }} as auto_coding_coverage_pct,
    w.judged_auto_codes,
    w.correct_auto_codes,
    {{ ratio('w.correct_auto_codes * 100', 'w.judged_auto_codes') }} as auto_coding_precision_pct,
    d.unreconciled_lines,
    d.oldest_unreconciled_days,
    d.last_closed_month,
    d.days_since_close
from weeks as w
join days as d on d.date = w.last_date

-- Grain: one row per entity, calendar month and P&L line (revenue, cost of sales,
-- operating expense), accrual basis, credit-positive for revenue and debit-positive for
-- costs, in functional and reporting currency, with the fiscal year and period.
select
    entity_id || ':' || cast(period_month as varchar) || ':' || pl_line as pnl_key,
    entity_id,
    period_month,
    max(fiscal_year) as fiscal_year,
    max(fiscal_period) as fiscal_period,
    pl_line,
    max(functional_currency) as currency,
    sum(case when pl_line in ('revenue', 'other_income') then -functional_amount else functional_amount end) as amount,
    sum(case when pl_line in ('revenue', 'other_income') then -reporting_amount else reporting_amount end) as reporting_amount
from (
    select *,
        case
            when account_class = 'revenue' and is_operating_revenue then 'revenue'
            when account_class = 'revenue' then 'other_income'
            when is_cost_of_sales then 'cost_of_sales'
            else 'operating_expense'
        end as pl_line
    from {{ ref('general_ledger') }}
    where account_class in ('revenue', 'expense')
) as gl
group by entity_id, period_month, pl_line

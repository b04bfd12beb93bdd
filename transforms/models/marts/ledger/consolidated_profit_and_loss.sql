-- Grain: one row per calendar month and P&L line (revenue, other_income, cost_of_sales,
-- operating_expense, fx_realised, fx_unrealised) of the group, in the reporting currency:
-- every entity's P&L translated at the month's average rate, less the intercompany lines
-- consolidation eliminates.
select
    cast(period_month as varchar) || ':' || line as consolidated_pnl_key,
    period_month,
    line as pl_line,
    max(reporting_currency) as currency,
    sum(reporting_amount) as entities_amount,
    sum(eliminated_amount) as eliminated_amount,
    sum(reporting_amount) - sum(eliminated_amount) as consolidated_amount,
    count(distinct entity_id) as entities
from {{ ref('int_consolidation_lines') }}
where statement = 'pnl'
group by period_month, line

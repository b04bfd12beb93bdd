-- Grain: one row per entity, calendar month, P&L line (revenue, other income, cost of
-- sales, operating expense, realised FX, unrealised FX), class and department (NULL: lines
-- their documents leave uncoded), accrual basis, credit-positive for income and FX gains and
-- debit-positive for costs, in functional and reporting currency, with the fiscal year and
-- period. Summed over class and department it is the entity's P&L.
select
    entity_id || ':' || cast(period_month as varchar) || ':' || pl_line
    || ':' || coalesce(class_name, '') || ':' || coalesce(department_name, '') as pnl_key,
    entity_id,
    period_month,
    max(fiscal_year) as fiscal_year,
    max(fiscal_period) as fiscal_period,
    pl_line,
    class_name,
    department_name,
    max(functional_currency) as currency,
    sum({{ pl_signed('pl_line', 'functional_amount') }}) as amount,
    sum({{ pl_signed('pl_line', 'reporting_amount') }}) as reporting_amount
from (
    select
        *,
        {{ pl_line('account_class', 'is_operating_revenue', 'is_cost_of_sales', 'document_type') }} as pl_line
    from {{ ref('general_ledger') }}
    where account_class in ('revenue', 'expense')
) as gl
group by entity_id, period_month, pl_line, class_name, department_name

-- Grain: one row per budget, legal entity, P&L account and month within the budget's months
-- for that entity, where the account has a budget line or actual postings: the budget, the
-- actual (general_ledger, accrual basis), the variance (actual − budget) and the variance %
-- of the budget, in the entity's functional currency and in the reporting currency at the
-- month end's rate (the latest rate for months past the data). Income and costs are both
-- positive, as on a P&L; `favourable_variance` is the variance signed so that positive is
-- good (more revenue, less cost).
{%- set reporting = var('reporting_currency') %}
with budget_lines as (
    select
        budget_name,
        entity_id,
        account_key,
        period_month,
        amount,
        source_file,
        line
    from {{ ref('stg_reference__budgets') }}
),

spans as (
    select
        budget_name,
        entity_id,
        min(period_month) as first_month,
        max(period_month) as last_month
    from budget_lines
    group by budget_name, entity_id
),

actuals as (
    -- P&L postings per entity, account and month, income and costs both positive
    select
        entity_id,
        period_month,
        account_key,
        sum(case when account_class = 'revenue' then -functional_amount else functional_amount end) as actual_amount
    from {{ ref('general_ledger') }}
    where account_class in ('revenue', 'expense')
    group by entity_id, period_month, account_key
),

data_end as (
    -- the data's last day: the bank feed's (finance_kpis_entity_daily's last day too)
    select max(balance_date) as last_day from {{ ref('cash_by_account_day') }}
),

keys as (
    select
        budget_name,
        entity_id,
        account_key,
        period_month
    from budget_lines
    union
    select
        s.budget_name,
        a.entity_id,
        a.account_key,
        a.period_month
    from actuals as a
    join spans as s on s.entity_id = a.entity_id and a.period_month between s.first_month and s.last_month
),

fx_last as (
    select max(rate_date) as last_rate_date from {{ ref('int_fx_rates_daily') }}
),

joined as (
    select
        k.budget_name,
        k.entity_id,
        k.period_month,
        k.account_key,
        acc.account_code,
        acc.account_name,
        acc.account_class,
        e.functional_currency as currency,
        b.amount is not null as is_budgeted,
        coalesce(b.amount, 0) as budget_amount,
        coalesce(a.actual_amount, 0) as actual_amount,
        coalesce(de.last_day >= {{ month_end('k.period_month') }}, false) as is_month_complete,
        b.source_file,
        b.line
    from keys as k
    join {{ ref('legal_entities') }} as e on e.entity_id = k.entity_id
    left join {{ ref('int_ledger_accounts') }} as acc on acc.entity_id = k.entity_id and acc.account_key = k.account_key
    left join budget_lines as b
        on
            b.budget_name = k.budget_name and b.entity_id = k.entity_id
            and b.account_key = k.account_key and b.period_month = k.period_month
    left join actuals as a
        on a.entity_id = k.entity_id and a.account_key = k.account_key and a.period_month = k.period_month
    cross join data_end as de
),

rated as (
    select
        j.*,
        fx.rate as fx_rate
    from joined as j
    cross join fx_last as fl
    left join {{ ref('int_fx_rates_daily') }} as fx
        on
            fx.currency = j.currency
            and fx.rate_date = case
                when {{ month_end('j.period_month') }} < fl.last_rate_date
                    then {{ month_end('j.period_month') }}
                else fl.last_rate_date
            end
)

select
    budget_name || ':' || entity_id || ':' || account_key || ':' || cast(period_month as varchar)
        as budget_vs_actual_key,
    budget_name,
    entity_id,
    period_month,
    account_key,
    account_code,
    account_name,
    account_class,
    currency,
    is_budgeted,
    is_month_complete,
    budget_amount,
    actual_amount,
    actual_amount - budget_amount as variance,
    {{ ratio('(actual_amount - budget_amount) * 100', 'abs(budget_amount)', 1) }} as variance_pct,
    case
        when account_class = 'revenue' then actual_amount - budget_amount
        else budget_amount - actual_amount
    end as favourable_variance,
    '{{ reporting }}' as reporting_currency,
    fx_rate,
    {{ to_reporting('budget_amount', 'fx_rate') }} as budget_amount_reporting,
    {{ to_reporting('actual_amount', 'fx_rate') }} as actual_amount_reporting,
    {{ to_reporting(
        'actual_amount',
        'fx_rate'
    ) }} - {{ to_reporting('budget_amount', 'fx_rate') }} as variance_reporting,
    case when is_budgeted then 'budget_csv' end as source_system,
    case when is_budgeted then source_file || ':' || cast(line as varchar) end as source_id
from rated

-- Grain: one row per budget (its source and name), legal entity, P&L account, month within
-- the budget's months for that entity, and the class and department a budget line is set at,
-- where the account has a budget line or actual postings. Budgets come from three places
-- (`budget_source`): a CSV imported with `ledgerlake budgets import` ('csv'), QuickBooks
-- Online Budget entities ('qbo') and Xero OVERALL budgets ('xero'). A line with a class or
-- department compares with the postings coded with it; the row without (NULL: budget lines
-- per account, ledger budgets, and actual-only rows) with the rest of the account's
-- postings, so an account's rows add up to its actual (the import keeps one account and
-- month to one set of dimensions: no posting counts twice): the budget, the actual
-- (general_ledger, accrual basis), the variance (actual − budget) and the variance % of the
-- budget, in the entity's functional currency and in the reporting currency at the month
-- end's rate (the latest rate for months past the data). Income and costs are both
-- positive, as on a P&L (and as both ledgers keep their budgets); `favourable_variance` is
-- the variance signed so that positive is good (more revenue, less cost).
{%- set reporting = var('reporting_currency') %}
with csv_lines as (
    select
        'csv' as budget_source,
        budget_name,
        entity_id,
        account_key,
        period_month,
        -- the dimensions a budget line is set at (NULL: all of the account's postings)
        class_name,
        department_name,
        amount,
        'budget_csv' as source_system,
        source_file || ':' || cast(line as varchar) as source_id
    from {{ ref('stg_reference__budgets') }}
),

ledger_accounts as (
    select
        source_system,
        tenant_id,
        source_account_id,
        entity_id,
        account_key
    from {{ ref('int_ledger_accounts') }}
    where account_class in ('revenue', 'expense')
),

ledger_budget_rows as (
    -- budgets kept in the ledgers: QBO's active Budgets, and Xero's OVERALL budgets only (a
    -- TRACKING budget budgets one tracking option, not the entity)
    select
        'qbo' as budget_source,
        tenant_id,
        budget_name,
        account_id,
        period_month,
        amount,
        budget_id
    from {{ ref('stg_qbo__budget_lines') }}
    where is_active
    union all
    select
        'xero' as budget_source,
        tenant_id,
        budget_name,
        account_id,
        period_month,
        amount,
        budget_id
    from {{ ref('stg_xero__budget_lines') }}
    where budget_type = 'OVERALL'
),

ledger_lines as (
    -- an account's month summed over the class / department / customer a split budget names
    select
        r.budget_source,
        r.budget_name,
        a.entity_id,
        a.account_key,
        r.period_month,
        cast(null as varchar) as class_name,  -- ledger budgets are compared per account
        cast(null as varchar) as department_name,
        sum(r.amount) as amount,
        r.budget_source as source_system,
        max(r.budget_id) as source_id
    from ledger_budget_rows as r
    inner join ledger_accounts as a
        on a.source_system = r.budget_source and a.tenant_id = r.tenant_id and a.source_account_id = r.account_id
    group by r.budget_source, r.budget_name, a.entity_id, a.account_key, r.period_month
),

budget_lines as (
    select * from csv_lines
    union all
    select * from ledger_lines
),

spans as (
    select
        budget_source,
        budget_name,
        entity_id,
        min(period_month) as first_month,
        max(period_month) as last_month
    from budget_lines
    group by budget_source, budget_name, entity_id
),

actuals as (
    -- P&L postings per entity, account, month, class and department, income and costs both positive
    select
        entity_id,
        period_month,
        account_key,
        class_name,
        department_name,
        sum(case when account_class = 'revenue' then -functional_amount else functional_amount end) as actual_amount
    from {{ ref('general_ledger') }}
    where account_class in ('revenue', 'expense')
    group by entity_id, period_month, account_key, class_name, department_name
),

data_end as (
    -- the data's last day: the bank feed's (finance_kpis_entity_daily's last day too)
    select max(balance_date) as last_day from {{ ref('cash_by_account_day') }}
),

keys as (
    select
        budget_source,
        budget_name,
        entity_id,
        account_key,
        period_month,
        class_name,
        department_name
    from budget_lines
    union
    select
        s.budget_source,
        s.budget_name,
        a.entity_id,
        a.account_key,
        a.period_month,
        cast(null as varchar) as class_name,
        cast(null as varchar) as department_name
    from actuals as a
    join spans as s on s.entity_id = a.entity_id and a.period_month between s.first_month and s.last_month
),

key_actuals as (
    -- a key's actuals: the postings in its class and department, any when it names none
    -- (less what the dimension-level keys take: covered below)
    select
        k.budget_source,
        k.budget_name,
        k.entity_id,
        k.account_key,
        k.period_month,
        k.class_name,
        k.department_name,
        sum(a.actual_amount) as actual_amount
    from keys as k
    join actuals as a
        on
            a.entity_id = k.entity_id and a.account_key = k.account_key and a.period_month = k.period_month
            and (k.class_name is null or a.class_name = k.class_name)
            and (k.department_name is null or a.department_name = k.department_name)
    group by k.budget_source, k.budget_name, k.entity_id, k.account_key, k.period_month, k.class_name, k.department_name
),

covered as (
    -- what an account and month's dimension-level keys take, left out of its whole-account row
    select
        budget_source,
        budget_name,
        entity_id,
        account_key,
        period_month,
        sum(actual_amount) as covered_amount
    from key_actuals
    where class_name is not null or department_name is not null
    group by budget_source, budget_name, entity_id, account_key, period_month
),

fx_last as (
    select max(rate_date) as last_rate_date from {{ ref('int_fx_rates_daily') }}
),

joined as (
    select
        k.budget_source,
        k.budget_name,
        k.entity_id,
        k.period_month,
        k.account_key,
        k.class_name,
        k.department_name,
        acc.account_code,
        acc.account_name,
        acc.account_class,
        e.functional_currency as currency,
        b.amount is not null as is_budgeted,
        coalesce(b.amount, 0) as budget_amount,
        coalesce(a.actual_amount, 0)
        - case when k.class_name is null and k.department_name is null then coalesce(c.covered_amount, 0) else 0 end
            as actual_amount,
        coalesce(de.last_day >= {{ month_end('k.period_month') }}, false) as is_month_complete,
        b.source_system,
        b.source_id
    from keys as k
    join {{ ref('legal_entities') }} as e on e.entity_id = k.entity_id
    left join {{ ref('int_ledger_accounts') }} as acc on acc.entity_id = k.entity_id and acc.account_key = k.account_key
    left join budget_lines as b
        on
            b.budget_source = k.budget_source and b.budget_name = k.budget_name and b.entity_id = k.entity_id
            and b.account_key = k.account_key and b.period_month = k.period_month
            and coalesce(b.class_name, '') = coalesce(k.class_name, '')
            and coalesce(b.department_name, '') = coalesce(k.department_name, '')
    left join key_actuals as a
        on
            a.budget_source = k.budget_source and a.budget_name = k.budget_name
            and a.entity_id = k.entity_id
            and a.account_key = k.account_key and a.period_month = k.period_month
            and coalesce(a.class_name, '') = coalesce(k.class_name, '')
            and coalesce(a.department_name, '') = coalesce(k.department_name, '')
    left join covered as c
        on
            c.budget_source = k.budget_source and c.budget_name = k.budget_name
            and c.entity_id = k.entity_id
            and c.account_key = k.account_key and c.period_month = k.period_month
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
    budget_source || ':' || budget_name || ':' || entity_id || ':' || account_key
    || ':' || cast(period_month as varchar)
    || ':' || coalesce(class_name, '') || ':' || coalesce(department_name, '') as budget_vs_actual_key,
    budget_source,
    budget_name,
    entity_id,
    period_month,
    account_key,
    class_name,
    department_name,
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
    {{ to_reporting('actual_amount', 'fx_rate') }}
    - {{ to_reporting('budget_amount', 'fx_rate') }} as variance_reporting,
    source_system,
    source_id
from rated

-- One row per Xero budget, account and period (BudgetLines[].BudgetBalances[] of
-- `GET /Budgets/{id}?DateFrom&DateTo`, raw entity `budgets`): the latest balance of each, by
-- the budget's UpdatedDateUTC (then arrival). A budget is read in windows of at most 24
-- months, so one version's balances can sit in several pages; a period is kept from the
-- newest page that has it. Type OVERALL budgets the whole organisation; TRACKING budgets
-- one tracking option (Tracking[] names it). Xero keeps income and costs both positive.
with pages as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('xero', 'raw.envelope') }} as tenant_id,
        raw.budget
    from {{ json_each_row(source('xero', 'budgets'), 'raw', 'payload', '$.Budgets', 'budget') }}
),

lines as (
    select
        p.tenant_id,
        p.raw_key,
        p.received_at,
        p.budget,
        p.budget_line
    from {{ json_each_row('pages', 'p', 'budget', '$.BudgetLines', 'budget_line') }}
),

balances as (
    select
        b.tenant_id,
        nullif({{ json_str('b.budget', '$.BudgetID') }}, '') as budget_id,
        {{ json_str('b.budget', '$.Description') }} as budget_name,
        {{ json_str('b.budget', '$.Type') }} as budget_type,
        {{ json_str('b.budget', '$.Tracking') }} as tracking,
        {{ json_str('b.budget_line', '$.AccountID') }} as account_id,
        {{ json_str('b.budget_line', '$.AccountCode') }} as account_code,
        try_cast({{ json_str('b.balance', '$.Period') }} || '-01' as date) as period_month,
        {{ to_amount(json_str('b.balance', '$.Amount')) }} as amount,
        {{ json_str('b.balance', '$.Notes') }} as notes,
        {{ xero_date(json_str('b.budget', '$.UpdatedDateUTC')) }} as updated_at,
        b.received_at,
        b.raw_key
    from {{ json_each_row('lines', 'b', 'budget_line', '$.BudgetBalances', 'balance') }}
),

latest as (
    {{ dedupe(
        'select * from balances where budget_id is not null and period_month is not null',
        'tenant_id, budget_id, account_id, period_month',
        'updated_at desc nulls last, received_at desc, raw_key desc'
    ) }}
)

select
    tenant_id || ':' || budget_id || ':' || coalesce(account_id, '') || ':' || cast(period_month as varchar)
        as budget_line_key,
    tenant_id,
    budget_id,
    budget_name,
    budget_type,
    tracking,
    account_id,
    account_code,
    period_month,
    amount,
    notes,
    updated_at,
    'xero' as source_system,
    budget_id as source_id,
    raw_key
from latest

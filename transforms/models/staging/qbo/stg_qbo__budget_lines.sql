-- One row per line (BudgetDetail) of the latest version of each QuickBooks Online budget: the
-- budget, the account, the month and the amount, with the class, department and customer a
-- budget split by them names. Budgets are read with the query API (`select * from Budget`,
-- raw entity `budget`: they are not in CDC); the latest version of a budget is the one with
-- the newest MetaData.LastUpdatedTime (then SyncToken). QuickBooks keeps income and costs
-- both positive. A Quarterly or Annually budget's line is dated by its period's first day.
with pages as (
    select
        raw.raw_key,
        raw.received_at,
        {{ qbo_tenant('raw.envelope') }} as realm_id,
        raw.budget
    from {{ json_each_row(source('qbo', 'budget'), 'raw', 'payload', '$.QueryResponse.Budget', 'budget') }}
),

budgets as (
    select
        realm_id,
        nullif({{ json_str('budget', '$.Id') }}, '') as budget_id,
        {{ json_str('budget', '$.Name') }} as budget_name,
        {{ json_str('budget', '$.BudgetEntryType') }} as budget_entry_type,
        coalesce(try_cast({{ json_str('budget', '$.Active') }} as boolean), true) as is_active,
        try_cast({{ json_str('budget', '$.StartDate') }} as date) as start_date,
        try_cast({{ json_str('budget', '$.EndDate') }} as date) as end_date,
        {{ iso_to_utc(json_str('budget', '$.MetaData.LastUpdatedTime')) }} as updated_at,
        try_cast({{ json_str('budget', '$.SyncToken') }} as integer) as sync_token,
        budget,
        raw_key,
        received_at
    from pages
),

latest as (
    {{ dedupe(
        'select * from budgets where budget_id is not null',
        'realm_id, budget_id',
        'updated_at desc nulls last, sync_token desc nulls last, received_at desc, raw_key desc'
    ) }}
),

details as (
    select
        l.realm_id,
        l.budget_id,
        l.budget_name,
        l.budget_entry_type,
        l.is_active,
        l.start_date,
        l.end_date,
        l.updated_at,
        l.raw_key,
        l.detail
    from {{ json_each_row('latest', 'l', 'budget', '$.BudgetDetail', 'detail') }}
),

renamed as (
    select
        realm_id,
        realm_id as tenant_id,
        budget_id,
        budget_name,
        budget_entry_type,
        is_active,
        start_date,
        end_date,
        {{ json_str('detail', '$.AccountRef.value') }} as account_id,
        {{ json_str('detail', '$.AccountRef.name') }} as account_name,
        cast({{ dbt.date_trunc('month', 'try_cast(' ~ json_str('detail', '$.BudgetDate') ~ ' as date)') }} as date)
            as period_month,
        {{ json_str('detail', '$.ClassRef.value') }} as class_id,
        {{ json_str('detail', '$.DepartmentRef.value') }} as department_id,
        {{ json_str('detail', '$.CustomerRef.value') }} as customer_id,
        {{ to_amount(json_str('detail', '$.Amount')) }} as amount,
        updated_at,
        'qbo' as source_system,
        budget_id as source_id,
        raw_key
    from details
)

select
    realm_id || ':' || budget_id || ':' || coalesce(account_id, '')
    || ':' || coalesce(cast(period_month as varchar), '')
    || ':' || coalesce(class_id, '') || ':' || coalesce(department_id, '') || ':' || coalesce(customer_id, '')
        as budget_line_key,
    *
from renamed

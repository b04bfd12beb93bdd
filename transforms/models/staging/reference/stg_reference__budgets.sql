-- Grain: one row per imported budget line (budget name, entity, account, month, class,
-- department), as
-- `ledgerlake budgets import` checked and normalized it (the account resolved to its key).
{%- if budgets_present() %}
    select
        budget_name,
        cast(line as integer) as line,
        entity_id,
        account_key,
        account_code,
        account_name,
        account_class,
        cast(period_month as date) as period_month,
        currency,
        cast(amount as {{ money_type() }}) as amount,
        note,
        cast(imported_at as timestamp) as imported_at,
        imported_by,
        source_file,
        -- the class / department a line budgets (NULL: the whole account); files published
        -- before budgets had dimensions lack the columns (macros/budgets.sql)
        nullif({{ budget_optional_column('b', 'class_name') }}, '') as class_name,
        nullif({{ budget_optional_column('b', 'department_name') }}, '') as department_name
    -- `b` is used whole, as a row (to_json(b) on DuckDB), which the linter does not see
    from {{ budgets_files() }} as b  -- noqa: AL05
{%- else %}
    select
        cast(null as varchar) as budget_name,
        cast(null as integer) as line,
        cast(null as varchar) as entity_id,
        cast(null as varchar) as account_key,
        cast(null as varchar) as account_code,
        cast(null as varchar) as account_name,
        cast(null as varchar) as account_class,
        cast(null as date) as period_month,
        cast(null as varchar) as currency,
        cast(null as {{ money_type() }}) as amount,
        cast(null as varchar) as note,
        cast(null as timestamp) as imported_at,
        cast(null as varchar) as imported_by,
        cast(null as varchar) as source_file,
        cast(null as varchar) as class_name,
        cast(null as varchar) as department_name
    where false
{%- endif %}

-- Grain: one row per calendar day, from the start of the fiscal year of the first
-- ledger or bank date to the end of the fiscal year of the last: calendar and fiscal
-- year, quarter and period. The fiscal year starts in var('fiscal_year_start_month')
-- (LEDGERLAKE_FISCAL_YEAR_START_MONTH, default April) and is named by the calendar
-- year it ends in (FY2026 = April 2025 – March 2026), as general_ledger's columns.
{%- set fiscal_year_end = add_days(add_months(add_months(month_start('day'), '1 - ' ~ fiscal_period('day')), 12), -1) %}
with data_days as (
    select
        min(posted_on) as first_day,
        max(posted_on) as last_day
    from {{ ref('general_ledger') }}
    union all
    select
        min(balance_date) as first_day,
        max(balance_date) as last_day
    from {{ ref('cash_by_account_day') }}
),

bounds as (
    select
        {{ add_months(month_start('min(first_day)'), '1 - ' ~ fiscal_period('min(first_day)')) }} as first_day,
        {{ add_days(
            add_months(add_months(month_start('max(last_day)'), '1 - ' ~ fiscal_period('max(last_day)')), 12),
            -1
        ) }} as last_day
    from data_days
),

days as (
    select s.day from bounds cross join {{ date_spine('bounds.first_day', 'bounds.last_day') }} as s
)

select
    day as date_day,
    cast(extract(year from day) as integer) as calendar_year,
    cast(extract(quarter from day) as integer) as calendar_quarter,
    cast(extract(month from day) as integer) as calendar_month,
    {{ month_start('day') }} as month_start,
    {{ month_end('day') }} as month_end,
    {{ week_start('day') }} as week_start,
    {{ add_days(week_start('day'), 6) }} as week_end,
    {{ iso_day_of_week('day') }} as iso_day_of_week,
    day = {{ month_end('day') }} as is_month_end,
    day = {{ add_days(week_start('day'), 6) }} as is_week_end,
    {{ var('fiscal_year_start_month') | int }} as fiscal_year_start_month,
    {{ fiscal_year('day') }} as fiscal_year,
    'FY' || cast({{ fiscal_year('day') }} as varchar) as fiscal_year_label,
    {{ fiscal_period('day') }} as fiscal_period,
    cast(floor(({{ fiscal_period('day') }} - 1) / 3.0) as integer) + 1 as fiscal_quarter,
    {{ add_months(month_start('day'), '1 - ' ~ fiscal_period('day')) }} as fiscal_year_start,
    {{ fiscal_year_end }} as fiscal_year_end,
    day = {{ fiscal_year_end }} as is_fiscal_year_end
from days

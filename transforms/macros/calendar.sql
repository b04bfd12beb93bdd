{#
  Calendar helpers shared by the marts (fiscal_calendar, general_ledger's fiscal columns
  follow the same rule).
#}

{#
  The date arithmetic is dbt's own cross-database macros (dbt.last_day, dbt.dateadd,
  dbt.date_trunc: each adapter ships its spelling, DuckDB's and Trino's among them), wrapped
  so every call site keeps one short name and a DATE result (dbt's return timestamps on some
  engines). An adapter whose dbt macro does not fit overrides the dispatched name
  (`<adapter>__add_days`, …); the fiscal macros below stay ours: dbt has none.
#}

{# The last day of expr's month. #}
{% macro month_end(expr) -%}
    {{ return(adapter.dispatch('month_end', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro default__month_end(expr) -%}
    cast({{ dbt.last_day('cast(' ~ expr ~ ' as date)', 'month') }} as date)
{%- endmacro %}
{% macro spark__month_end(expr) -%}
    last_day(cast({{ expr }} as date))
{%- endmacro %}

{# Monday of expr's ISO week (date_trunc('week') is Monday-based in DuckDB, Trino and Spark). #}
{% macro week_start(expr) -%}
    cast({{ dbt.date_trunc('week', 'cast(' ~ expr ~ ' as date)') }} as date)
{%- endmacro %}

{# First day of expr's month. #}
{% macro month_start(expr) -%}
    cast({{ dbt.date_trunc('month', 'cast(' ~ expr ~ ' as date)') }} as date)
{%- endmacro %}

{# A date plus n days / months (n an integer expression; months clamp to the month's end). #}
{% macro add_days(expr, n) -%}
    {{ return(adapter.dispatch('add_days', 'ledgerlake')(expr, n)) }}
{%- endmacro %}
{% macro default__add_days(expr, n) -%}
    cast({{ dbt.dateadd('day', 'cast(' ~ n ~ ' as integer)', 'cast(' ~ expr ~ ' as date)') }} as date)
{%- endmacro %}
{% macro spark__add_days(expr, n) -%}
    date_add(cast({{ expr }} as date), cast({{ n }} as integer))
{%- endmacro %}

{% macro add_months(expr, n) -%}
    {{ return(adapter.dispatch('add_months', 'ledgerlake')(expr, n)) }}
{%- endmacro %}
{% macro default__add_months(expr, n) -%}
    cast({{ dbt.dateadd('month', 'cast(' ~ n ~ ' as integer)', 'cast(' ~ expr ~ ' as date)') }} as date)
{%- endmacro %}
{# (like DuckDB's date + months: the 31st plus one month is the month's last day) #}
{% macro spark__add_months(expr, n) -%}
    add_months(cast({{ expr }} as date), cast({{ n }} as integer))
{%- endmacro %}

{#
  Fiscal year and period of a date. The fiscal year starts in var('fiscal_year_start_month')
  (LEDGERLAKE_FISCAL_YEAR_START_MONTH, default 4 = April) and is named by the calendar
  year it ends in: with April, FY2026 = April 2025 – March 2026 (general_ledger too).
#}
{% macro fiscal_year(expr) -%}
    {%- set fy = var('fiscal_year_start_month') | int -%}
    (cast(extract(year from {{ expr }}) as integer) + case when {{ fy }} > 1 and extract(month from {{ expr }}) >= {{ fy }} then 1 else 0 end)
{%- endmacro %}

{% macro fiscal_period(expr) -%}
    {%- set fy = var('fiscal_year_start_month') | int -%}
    (((cast(extract(month from {{ expr }}) as integer) - {{ fy }} + 12) % 12) + 1)
{%- endmacro %}

{# Convert a functional amount into the reporting currency with a rate, rounded to cents. #}
{% macro to_reporting(amount_expr, rate_expr) -%}
    {{ convert(amount_expr, rate_expr, "'" ~ var('reporting_currency') ~ "'") }}
{%- endmacro %}

{# A ratio of two non-money measures kept as DECIMAL with `scale` places (NULL when b = 0). #}
{% macro ratio(a, b, scale=2) -%}
    cast(round(cast({{ a }} as double) / nullif(cast({{ b }} as double), 0), {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}

{# ISO day of the week: Monday 1 … Sunday 7. #}
{% macro iso_day_of_week(expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__iso_day_of_week(expr) -%}
    cast(isodow(cast({{ expr }} as date)) as integer)
{%- endmacro %}
{% macro default__iso_day_of_week(expr) -%}
    day_of_week(cast({{ expr }} as date))
{%- endmacro %}
{# weekday(): Monday 0 … Sunday 6 #}
{% macro spark__iso_day_of_week(expr) -%}
    (weekday(cast({{ expr }} as date)) + 1)
{%- endmacro %}

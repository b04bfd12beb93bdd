{#
  Calendar helpers shared by the marts (fiscal_calendar, general_ledger's fiscal columns
  follow the same rule). Portable: DuckDB and Trino both accept INTERVAL 'n' unit.
#}

{# The last day of expr's month. #}
{% macro month_end(expr) -%}
    {{ return(adapter.dispatch('month_end', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__month_end(expr) -%}
    last_day(cast({{ expr }} as date))
{%- endmacro %}
{% macro default__month_end(expr) -%}
    last_day_of_month(cast({{ expr }} as date))
{%- endmacro %}
{% macro spark__month_end(expr) -%}
    last_day(cast({{ expr }} as date))
{%- endmacro %}

{# Monday of expr's ISO week (date_trunc('week') is Monday-based in DuckDB and Trino). #}
{% macro week_start(expr) -%}
    cast(date_trunc('week', cast({{ expr }} as date)) as date)
{%- endmacro %}

{# First day of expr's month. #}
{% macro month_start(expr) -%}
    cast(date_trunc('month', cast({{ expr }} as date)) as date)
{%- endmacro %}

{# A date plus n days / months (n an integer expression). #}
{% macro add_days(expr, n) -%}
    {{ return(adapter.dispatch('add_days', 'ledgerlake')(expr, n)) }}
{%- endmacro %}
{% macro duckdb__add_days(expr, n) -%}
    cast(cast({{ expr }} as date) + to_days(cast({{ n }} as integer)) as date)
{%- endmacro %}
{% macro default__add_days(expr, n) -%}
    date_add('day', {{ n }}, cast({{ expr }} as date))
{%- endmacro %}
{% macro spark__add_days(expr, n) -%}
    date_add(cast({{ expr }} as date), cast({{ n }} as integer))
{%- endmacro %}

{% macro add_months(expr, n) -%}
    {{ return(adapter.dispatch('add_months', 'ledgerlake')(expr, n)) }}
{%- endmacro %}
{% macro duckdb__add_months(expr, n) -%}
    cast(cast({{ expr }} as date) + to_months(cast({{ n }} as integer)) as date)
{%- endmacro %}
{% macro default__add_months(expr, n) -%}
    date_add('month', {{ n }}, cast({{ expr }} as date))
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

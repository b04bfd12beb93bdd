{#
  Engine-specific constructs the sales / finance / ops marts need, behind adapter.dispatch
  like portable.sql: duckdb__ runs today, spark__ is Spark's, default__ is the Trino/Athena spelling.
#}

{# A UTC timestamp without time zone → TIMESTAMP WITH TIME ZONE (independent of the session's zone). #}
{% macro utc_timestamptz(expr) -%}
    {{ return(adapter.dispatch('utc_timestamptz', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__utc_timestamptz(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}
{% macro default__utc_timestamptz(expr) -%}
    with_timezone({{ expr }}, 'UTC')
{%- endmacro %}
{# Spark's TIMESTAMP is an instant (shown in the session's zone, UTC): nothing to convert. #}
{% macro spark__utc_timestamptz(expr) -%}
    {{ expr }}
{%- endmacro %}

{#
  Engine-specific constructs the sales / finance / ops marts need, behind adapter.dispatch
  like portable.sql: duckdb__ runs today, spark__ is Spark's, default__ is the Trino/Athena spelling.
#}

{#
  Every compacted raw object of every source and entity (source_health reads the
  envelopes). Reads where staging reads: the build's local mirror when the project has
  one (compacted_root), else s3://{raw_bucket}/compacted/.
#}
{% macro raw_objects_all() -%}
    {{ return(adapter.dispatch('raw_objects_all', 'ledgerlake')()) }}
{%- endmacro %}
{% macro duckdb__raw_objects_all() -%}
    {%- set root = compacted_root() | trim if compacted_root is defined else '' -%}
    {%- set root = root or ('s3://' ~ var('raw_bucket') ~ '/compacted') -%}
    read_parquet('{{ root }}/source=*/entity=*/*.parquet', union_by_name = true)
{%- endmacro %}
{% macro default__raw_objects_all() -%}
    {{ source('lake', 'compacted') }}
{%- endmacro %}
{% macro spark__raw_objects_all() -%}
    {{ default__raw_objects_all() }}
{%- endmacro %}

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

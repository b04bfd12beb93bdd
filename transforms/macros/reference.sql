{#
  Reference data beside raw: files people (or ledgerlake's commands) put under
  s3://{raw}/reference/<folder>/*.csv — the FX override, imported budgets. Each is optional.
#}
{% macro reference_files_present(folder) -%}
    {{ return(adapter.dispatch('reference_files_present', 'ledgerlake')(folder)) }}
{%- endmacro %}
{% macro duckdb__reference_files_present(folder) -%}
    {#- `dbt docs generate` compiles every model but may run with no lake behind it (a warehouse
        file only): the docs show the SQL as if there were no such file. -#}
    {% if not execute or flags.WHICH == 'generate' %}{{ return(false) }}{% endif %}
    {% set found = run_query("select count(*) from glob('s3://" ~ var('raw_bucket') ~ "/reference/" ~ folder ~ "/*.csv')") %}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
{# Spark reads a copy of the folder registered as lake.<folder> (macros/lake.sql), named by
   var('<folder>_root'): set only when the lake has such a file. #}
{% macro spark__reference_files_present(folder) -%}
    {{ return(var(folder ~ '_root', '') != '') }}
{%- endmacro %}
{% macro default__reference_files_present(folder) -%}
    {{ return(true) }}
{%- endmacro %}

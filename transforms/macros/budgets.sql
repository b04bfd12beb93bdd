{#
  Budgets an FP&A person imports (`ledgerlake budgets import`, ledgerlake/budgets.py):
  normalized CSVs at s3://{raw}/reference/budgets/*.csv, reference data beside raw like the
  FX override file. Optional: with none imported the staging model is empty.
#}
{% macro budgets_present() -%}
    {{ return(reference_files_present('budgets')) }}
{%- endmacro %}

{% macro budgets_files() -%}
    {{ return(source('lake', 'budgets')) }}
{%- endmacro %}

{# A column of the budget files that older files may lack: NULL for them. DuckDB's
   union_by_name has the column only when some file does, so the row is read as JSON;
   Spark and Athena declare every column on the table (macros/lake.sql). #}
{% macro budget_optional_column(alias, column) -%}
    {{ return(adapter.dispatch('budget_optional_column', 'ledgerlake')(alias, column)) }}
{%- endmacro %}
{% macro duckdb__budget_optional_column(alias, column) -%}
    json_extract_string(to_json({{ alias }}), '$.{{ column }}')
{%- endmacro %}
{% macro default__budget_optional_column(alias, column) -%}
    {{ alias }}.{{ column }}
{%- endmacro %}
{% macro spark__budget_optional_column(alias, column) -%}
    {#- lake.budgets declares the column (macros/lake.sql): a file without it reads NULL -#}
    {{ default__budget_optional_column(alias, column) }}
{%- endmacro %}

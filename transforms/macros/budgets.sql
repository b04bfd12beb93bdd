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

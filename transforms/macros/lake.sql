{#
  The raw lake as tables, for the engines that read it through a catalog (on-run-start).

  DuckDB reads the compacted Parquet parts directly (each dbt source's external_location:
  read_parquet). Spark and Athena read the same parts as one table, lake.compacted, partitioned by the parts' own
  directories (source=…/entity=…, ledgerlake/transform/compact.py), and the hand-uploaded
  FX rates (reference/fx_rates/*.csv) as lake.fx_rates. On Athena/Glue the tables are the
  Glue catalog's (template.yaml); on Spark this hook registers them over
  var('compacted_root') (the build's local mirror, or s3://{raw_bucket}/compacted) and
  var('fx_rates_root'), then lists the partitions again, so a run sees every part.
#}
{% macro register_lake() -%}
    {{ return(adapter.dispatch('register_lake', 'ledgerlake')()) }}
{%- endmacro %}

{% macro default__register_lake() -%}
{%- endmacro %}

{% macro spark__register_lake() -%}
    {%- if execute -%}
        {%- do run_query("create schema if not exists lake") -%}
        {#- external tables (LOCATION): dropping one never deletes the parts -#}
        {%- do run_query("create table if not exists lake.compacted (" ~ lake_compacted_columns() ~ ", source string, entity string)"
                          ~ " using parquet partitioned by (source, entity) location '" ~ compacted_root() ~ "'") -%}
        {%- do run_query("msck repair table lake.compacted") -%}
        {%- do run_query("refresh table lake.compacted") -%}
        {#- each provider's dbt source table (source('stripe', 'events') = stripe.events) is
            its entity's slice of lake.compacted -#}
        {%- for node in graph.sources.values() if node.source_name != 'lake' -%}
            {%- do run_query("create schema if not exists " ~ node.schema) -%}
            {%- do run_query("create or replace view " ~ node.schema ~ "." ~ node.identifier
                              ~ " as select * from lake.compacted where source = '" ~ node.source_name
                              ~ "' and entity = '" ~ node.name ~ "'") -%}
        {%- endfor -%}
        {%- if var('fx_rates_root', '') -%}
            {#- typed here, so a prefix with no file yet is an empty table, not a schema error -#}
            {%- do run_query("create table if not exists lake.fx_rates (date string, base string, quote string, rate string)"
                              ~ " using csv options (header 'true', path '" ~ var('fx_rates_root') ~ "')") -%}
            {%- do run_query("refresh table lake.fx_rates") -%}
        {%- endif -%}
        {%- if var('budgets_root', '') -%}
            {#- the columns `ledgerlake budgets import` writes, in its order (budgets.OUTPUT_COLUMNS) -#}
            {%- do run_query("create table if not exists lake.budgets (budget_name string, line string, entity_id string,"
                              ~ " account_key string, account_code string, account_name string, account_class string,"
                              ~ " period_month string, currency string, amount string, note string, imported_at string,"
                              ~ " imported_by string, source_file string, class_name string, department_name string)"
                              ~ " using csv options (header 'true', path '" ~ var('budgets_root') ~ "')") -%}
            {%- do run_query("refresh table lake.budgets") -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{# The compacted parts' columns besides the partition columns (compact.py's SCHEMA). #}
{% macro lake_compacted_columns() -%}
    raw_key string, partition_date date, arrival string, received_at string, event_id string,
    api_version string, envelope string, payload string, compacted_at string
{%- endmacro %}

{#
  Parse each JSON document once per row, however many fields a model reads from it.

  DuckDB parses the text again for every `json_extract_string(doc, '$.path')`, and keeps
  each call's parse arena for the whole vector: the Shopify orders model read 14 fields of
  the same payload and took 1.7 s and 1.2 GB where one parse took 0.3 s and 190 MB.
  DuckDB can extract many paths in one parse (`json_extract_string(doc, ['$.a', '$.b'])`
  returns a list) and evaluates identical expressions in one projection once (common
  subexpression elimination). So before a model's table is created, every
  `json_extract_string(doc, '$.x')` on a document used for more than one path becomes
  `json_extract_string(doc, [all of doc's paths in this model])[i]`.

  Models keep writing `{{ json_str(doc, path) }}` (portable); this only changes the SQL
  DuckDB runs (see target/run/, not target/compiled/). `doc` must be a column name,
  optionally qualified (`payload`, `raw.payload`, `item`); other calls are left alone.
#}
{% macro parse_json_once(sql) -%}
    {%- set calls = modules.re.findall("json_extract_string\\(([A-Za-z_]\\w*(?:\\.[A-Za-z_]\\w*)?), '([^']*)'\\)", sql) -%}
    {%- set paths_by_doc = {} -%}
    {%- for doc, path in calls -%}
        {%- if doc not in paths_by_doc -%}{%- do paths_by_doc.update({doc: []}) -%}{%- endif -%}
        {%- if path not in paths_by_doc[doc] -%}{%- do paths_by_doc[doc].append(path) -%}{%- endif -%}
    {%- endfor -%}
    {%- set rewritten = namespace(sql=sql) -%}
    {%- for doc, paths in paths_by_doc.items() if paths | length > 1 -%}
        {%- set listed = "['" ~ paths | join("', '") ~ "']" -%}
        {%- for path in paths -%}
            {%- set rewritten.sql = rewritten.sql.replace(
                "json_extract_string(" ~ doc ~ ", '" ~ path ~ "')",
                "json_extract_string(" ~ doc ~ ", " ~ listed ~ ")[" ~ loop.index ~ "]") -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(rewritten.sql) -}}
{%- endmacro %}

{#
  Spark accepts VARCHAR only with a length (VARCHAR(n)) and has no JSON type; the models
  write the standard `cast(x as varchar)` / `cast(x as json)` that DuckDB and Trino read
  as unbounded text / JSON, so on Spark both become STRING (JSON stays text there, read
  with get_json_object). Only `as varchar` not followed by a length, and `as json`.
#}
{% macro spark_text_type(sql) -%}
    {{- return(modules.re.sub('(?i)\\bas\\s+(varchar\\b(?!\\s*\\()|json\\b)', 'as string', sql)) -}}
{%- endmacro %}

{# The table materialization's create statement, with the JSON calls rewritten (DuckDB) or
   the text type spelt as Spark spells it. #}
{% macro create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {%- if language == 'sql' and target.type == 'duckdb' -%}
        {%- set compiled_code = parse_json_once(compiled_code) -%}
    {%- elif language == 'sql' and target.type == 'spark' -%}
        {#- (dbt-spark's create_table_as takes no partitioned_by / sorted_by) -#}
        {{ return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, spark_text_type(compiled_code), language)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code, language,
                                                          partitioned_by=partitioned_by, sorted_by=sorted_by)) }}
{%- endmacro %}

{# Views (the per-document double-entry models) get the same text type on Spark. #}
{% macro create_view_as(relation, sql) -%}
    {%- if target.type == 'spark' -%}
        {{ return(adapter.dispatch('create_view_as', 'dbt')(relation, spark_text_type(sql))) }}
    {%- endif -%}
    {{ return(adapter.dispatch('create_view_as', 'dbt')(relation, sql)) }}
{%- endmacro %}

{# Data tests go through the same spelling on Spark (a tie-out may cast to varchar too). #}
{% macro spark__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{ return(default__get_test_sql(spark_text_type(main_sql), fail_calc, warn_if, error_if, limit)) }}
{%- endmacro %}

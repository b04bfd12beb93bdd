{#
  Every engine-specific construct lives here behind adapter.dispatch, so the models stay
  portable SQL and the project can move to dbt-athena (Trino) when one machine is not
  enough. duckdb__ is what runs today; default__ is the Trino/Athena spelling.
#}

{# The compacted raw objects of one source/entity (see ledgerlake/transform/compact.py). #}
{% macro raw_objects(source_name, entity) -%}
    {{ return(adapter.dispatch('raw_objects', 'ledgerlake')(source_name, entity)) }}
{%- endmacro %}
{% macro duckdb__raw_objects(source_name, entity) -%}
    read_parquet('{{ compacted_root() }}/source={{ source_name }}/entity={{ entity }}/*.parquet', union_by_name = true)
{%- endmacro %}

{# The compacted raw objects' root: the build's local mirror when set, else S3. #}
{% macro compacted_root() -%}
    {{- var('compacted_root') or ('s3://' ~ var('raw_bucket') ~ '/compacted') -}}
{%- endmacro %}
{% macro default__raw_objects(source_name, entity) -%}
    {# On Athena the compacted prefix is a Glue table partitioned by source and entity. #}
    (select * from {{ source('lake', 'compacted') }} where source = '{{ source_name }}' and entity = '{{ entity }}')
{%- endmacro %}

{# Daily FX rates, reference data beside raw. #}
{% macro fx_rates_file() -%}
    {{ return(adapter.dispatch('fx_rates_file', 'ledgerlake')()) }}
{%- endmacro %}
{% macro duckdb__fx_rates_file() -%}
    read_csv('s3://{{ var("raw_bucket") }}/reference/fx_rates/*.csv', header = true, all_varchar = true)
{%- endmacro %}
{% macro default__fx_rates_file() -%}
    {{ source('lake', 'fx_rates') }}
{%- endmacro %}

{# A scalar at a JSON path, as text (NULL when absent or JSON null). #}
{% macro json_str(expr, path) -%}
    {{ return(adapter.dispatch('json_str', 'ledgerlake')(expr, path)) }}
{%- endmacro %}
{% macro duckdb__json_str(expr, path) -%}
    json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}
{% macro default__json_str(expr, path) -%}
    json_extract_scalar({{ expr }}, '{{ path }}')
{%- endmacro %}

{# A JSON sub-document at a path, kept as JSON. #}
{% macro json_get(expr, path) -%}
    {{ return(adapter.dispatch('json_get', 'ledgerlake')(expr, path)) }}
{%- endmacro %}
{% macro duckdb__json_get(expr, path) -%}
    json_extract({{ expr }}, '{{ path }}')
{%- endmacro %}
{% macro default__json_get(expr, path) -%}
    json_extract({{ expr }}, '{{ path }}')
{%- endmacro %}

{#
  One row per element of the JSON array at `path` inside `column` of `relation`:
      from {{ json_each_row('pages', 'pages', 'payload', '$.data', 'item') }}
  stands where `from pages` stood: a relation still called `pages`, with every column of
  `pages` plus `item` (JSON), one row per element. Rows whose array is empty or absent give
  no rows; `where` (SQL over the relation's columns) filters before the array is unnested.

  Why a subquery with `unnest` in its select list and not `cross join unnest(...)`:
  DuckDB (1.5) runs the lateral join by copying the correlated column once per output row,
  so a 500 kB page with 1,000 items became 500 MB; 20 Plaid pages took 5.5 s and 3.5 GB
  that way, 30 ms and 130 MB this way.
#}
{% macro json_each_row(relation, alias, column, path, item, where=none) -%}
    {{ return(adapter.dispatch('json_each_row', 'ledgerlake')(relation, alias, column, path, item, where)) }}
{%- endmacro %}
{% macro duckdb__json_each_row(relation, alias, column, path, item, where) -%}
    (select {{ alias }}.*, unnest(json_extract({{ alias }}.{{ column }}, '{{ path }}[*]')) as {{ item }}
     from {{ relation }} as {{ alias }}{% if where %} where {{ where }}{% endif %}) as {{ alias }}
{%- endmacro %}
{% macro default__json_each_row(relation, alias, column, path, item, where) -%}
    (select {{ alias }}.*, {{ item }}_t.{{ item }}
     from {{ relation }} as {{ alias }}
     cross join unnest(cast(json_extract({{ alias }}.{{ column }}, '{{ path }}') as array(json))) as {{ item }}_t({{ item }})
     {% if where %} where {{ where }}{% endif %}) as {{ alias }}
{%- endmacro %}

{#
  `with raw as {{ inline_cte() }} (...)`: read the raw objects where each use needs them.
  DuckDB materializes a CTE that is referenced twice, which for `raw` means holding every
  payload of the entity in memory at once (1.9 GB of the 2.8 GB a 10x Shopify orders
  model took); inlined, each branch streams its own projection of the Parquet file.
  Trino always inlines, so the default spelling is empty.
#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'ledgerlake')()) }}
{%- endmacro %}
{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}
{% macro default__inline_cte() -%}
{%- endmacro %}

{# Unix seconds → UTC timestamp. #}
{% macro from_unix_seconds(expr) -%}
    {{ return(adapter.dispatch('from_unix_seconds', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__from_unix_seconds(expr) -%}
    make_timestamp(cast({{ expr }} as bigint) * 1000000)
{%- endmacro %}
{% macro default__from_unix_seconds(expr) -%}
    from_unixtime(cast({{ expr }} as bigint))
{%- endmacro %}

{# ISO-8601 text with any offset (Z, -07:00) → UTC timestamp without time zone. #}
{% macro iso_to_utc(expr) -%}
    {{ return(adapter.dispatch('iso_to_utc', 'ledgerlake')(expr)) }}
{%- endmacro %}
{# (try_cast: a malformed timestamp from a provider is a NULL, not a failed build) #}
{% macro duckdb__iso_to_utc(expr) -%}
    case when {{ expr }} is null then null
         when length({{ expr }}) = 10 then try_cast({{ expr }} as timestamp)
         when regexp_matches({{ expr }}, '(Z|[+-]\d\d:?\d\d)$') then timezone('UTC', try_cast({{ expr }} as timestamptz))
         else try_cast({{ expr }} as timestamp) end
{%- endmacro %}
{% macro default__iso_to_utc(expr) -%}
    cast(from_iso8601_timestamp({{ expr }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{# Xero's Microsoft JSON dates, "/Date(1718236800000+0000)/" → UTC timestamp. #}
{% macro xero_date(expr) -%}
    {{ return(adapter.dispatch('xero_date', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__xero_date(expr) -%}
    case when {{ expr }} like '/Date(%' then make_timestamp(try_cast(regexp_extract({{ expr }}, '-?\d+') as bigint) * 1000)
         else {{ duckdb__iso_to_utc(expr) }} end
{%- endmacro %}
{% macro default__xero_date(expr) -%}
    from_unixtime(cast(regexp_extract({{ expr }}, '-?\d+') as bigint) / 1000)
{%- endmacro %}

{# Inclusive day series between two dates, as a relation with column `day`. #}
{% macro date_spine(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_spine', 'ledgerlake')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro duckdb__date_spine(start_expr, end_expr) -%}
    (select cast(d as date) as day from generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval 1 day) as g(d))
{%- endmacro %}
{% macro default__date_spine(start_expr, end_expr) -%}
    (select day from unnest(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval '1' day)) as g(day))
{%- endmacro %}

{# Whole days from a to b. #}
{% macro days_between(a, b) -%}
    {{ return(adapter.dispatch('days_between', 'ledgerlake')(a, b)) }}
{%- endmacro %}
{% macro duckdb__days_between(a, b) -%}
    date_diff('day', cast({{ a }} as date), cast({{ b }} as date))
{%- endmacro %}
{% macro default__days_between(a, b) -%}
    date_diff('day', cast({{ a }} as date), cast({{ b }} as date))
{%- endmacro %}

{#
  Keep one row per partition: the first by `order_by`.
      {{ dedupe('select ... from x', 'object_id', 'updated_at desc') }}
  DuckDB has QUALIFY; elsewhere a row_number() subquery (which keeps a `_row` column).
#}
{% macro dedupe(relation_sql, partition_by, order_by) -%}
    {{ return(adapter.dispatch('dedupe', 'ledgerlake')(relation_sql, partition_by, order_by)) }}
{%- endmacro %}
{% macro duckdb__dedupe(relation_sql, partition_by, order_by) -%}
    select * from ({{ relation_sql }}) as d
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
{% macro default__dedupe(relation_sql, partition_by, order_by) -%}
    select * from (
        select *, row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _row
        from ({{ relation_sql }}) as d
    ) as ranked where _row = 1
{%- endmacro %}

{# A company name reduced for matching: lower case, punctuation and legal suffixes removed. #}
{% macro normalize_name(expr) -%}
    trim(regexp_replace(regexp_replace(lower({{ expr }}), '[^a-z0-9 ]', ' ', 'g'),
        '\b(inc|llc|ltd|limited|plc|llp|corp|co|com|the)\b', '', 'g'))
{%- endmacro %}

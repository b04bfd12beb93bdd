{#
  Every engine-specific construct lives here behind adapter.dispatch, so the models stay
  portable SQL and the project can move to dbt-athena (Trino) when one machine is not
  enough. duckdb__ is what runs today; spark__ is Apache Spark's (dbt-spark, proven by
  tests/transforms/test_spark_parity.py); default__ is the Trino/Athena spelling (compiled
  with dbt-trino and parsed by sqlglot in tests/transforms/test_trino_dialect.py).
  Spark runs with spark.sql.parser.escapedStringLiterals=true (profiles.yml), so a regex
  such as '\d' reaches Spark as written, as it does DuckDB and Trino.
#}

{# The compacted raw objects' root: the build's local mirror when set, else S3. #}
{% macro compacted_root() -%}
    {{- var('compacted_root') or ('s3://' ~ var('raw_bucket') ~ '/compacted') -}}
{%- endmacro %}

{# A scalar at a JSON path, as text (NULL when absent or JSON null). #}
{% macro json_str(expr, path) -%}
    {{ return(adapter.dispatch('json_str', 'ledgerlake')(expr, path)) }}
{%- endmacro %}
{% macro duckdb__json_str(expr, path) -%}
    json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}
{% macro default__json_str(expr, path) -%}
    json_extract_scalar({{ expr }}, '{{ json_path_quoted(path) }}')
{%- endmacro %}

{# Trino's JSON path reads a key with other than letters, digits and _ only as ["key"]
   ($.headers.x-shopify-topic → $.headers["x-shopify-topic"]); DuckDB and Spark take both. #}
{% macro json_path_quoted(path) -%}
    {%- set steps = [] -%}
    {%- for step in path.split('.') -%}
        {%- if loop.first or modules.re.match('^[A-Za-z_][A-Za-z0-9_]*(\\[(\\d+|\\*)\\])*$', step) -%}
            {%- do steps.append(('.' if not loop.first else '') ~ step) -%}
        {%- else -%}
            {%- do steps.append('["' ~ step ~ '"]') -%}
        {%- endif -%}
    {%- endfor -%}
    {{- steps | join('') -}}
{%- endmacro %}
{% macro spark__json_str(expr, path) -%}
    get_json_object({{ expr }}, '{{ path }}')
{%- endmacro %}

{# A JSON sub-document at a path, kept as JSON. #}
{% macro json_get(expr, path) -%}
    {{ return(adapter.dispatch('json_get', 'ledgerlake')(expr, path)) }}
{%- endmacro %}
{% macro duckdb__json_get(expr, path) -%}
    json_extract({{ expr }}, '{{ path }}')
{%- endmacro %}
{% macro default__json_get(expr, path) -%}
    json_extract({{ expr }}, '{{ json_path_quoted(path) }}')
{%- endmacro %}
{% macro spark__json_get(expr, path) -%}
    get_json_object({{ expr }}, '{{ path }}')
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
  Spark's get_json_object nests the result of each [*] in the path ([[a, b], [c]]), so
  each [*] is one LATERAL VIEW explode of the JSON array at that step, elements kept as
  JSON text (from_json to array<string> keeps an object element's text as it is).
#}
{% macro spark__json_each_row(relation, alias, column, path, item, where) -%}
    {%- set steps = (path ~ '[*]').split('[*]')[:-1] -%}
    (select {{ alias }}.*, {{ item }}
     from {{ relation }} as {{ alias }}
     {%- set doc = namespace(expr=alias ~ '.' ~ column) %}
     {%- for step in steps %}
     {%- set name = item if loop.last else item ~ '_' ~ loop.index %}
     lateral view explode(from_json(get_json_object({{ doc.expr }}, '{{ step if loop.first else '$' ~ step }}'), 'array<string>')) {{ name }}_t as {{ name }}
     {%- set doc.expr = name %}
     {%- endfor %}
     {% if where %} where {{ where }}{% endif %}) as {{ alias }}
{%- endmacro %}

{#
  One row per match of `pattern` in `column` of `relation` (the whole match, as `item`), in
  the same shape as json_each_row: a relation still called `alias` with its columns + `item`.
  A quote inside a pattern is written \x27 (every engine's regex reads it; Spark would read
  '' in a literal as two literals concatenated).
#}
{% macro regexp_each_row(relation, alias, column, pattern, item) -%}
    {{ return(adapter.dispatch('regexp_each_row', 'ledgerlake')(relation, alias, column, pattern, item)) }}
{%- endmacro %}
{% macro duckdb__regexp_each_row(relation, alias, column, pattern, item) -%}
    (select {{ alias }}.*, unnest(regexp_extract_all({{ alias }}.{{ column }}, '{{ pattern }}')) as {{ item }}
     from {{ relation }} as {{ alias }}) as {{ alias }}
{%- endmacro %}
{% macro default__regexp_each_row(relation, alias, column, pattern, item) -%}
    (select {{ alias }}.*, {{ item }}_t.{{ item }}
     from {{ relation }} as {{ alias }}
     cross join unnest(regexp_extract_all({{ alias }}.{{ column }}, '{{ pattern }}')) as {{ item }}_t({{ item }})) as {{ alias }}
{%- endmacro %}
{# (Spark's regexp_extract_all returns group 1 unless told 0: the whole match) #}
{% macro spark__regexp_each_row(relation, alias, column, pattern, item) -%}
    (select {{ alias }}.*, {{ item }}
     from {{ relation }} as {{ alias }}
     lateral view explode(regexp_extract_all({{ alias }}.{{ column }}, '{{ pattern }}', 0)) {{ item }}_t as {{ item }}) as {{ alias }}
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
{% macro spark__inline_cte() -%}
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
{% macro spark__from_unix_seconds(expr) -%}
    timestamp_seconds(cast({{ expr }} as bigint))
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
{# Spark casts text with an offset to the instant, shown in the session's zone (UTC, profiles.yml);
   text that is not a timestamp is NULL (ANSI mode off, as dbt-spark sets it). #}
{% macro spark__iso_to_utc(expr) -%}
    cast({{ expr }} as timestamp)
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
{% macro spark__xero_date(expr) -%}
    case when {{ expr }} like '/Date(%' then timestamp_millis(cast(regexp_extract({{ expr }}, '-?\d+', 0) as bigint))
         else {{ spark__iso_to_utc(expr) }} end
{%- endmacro %}

{# Inclusive day series between two dates, as a relation with column `day`. #}
{% macro date_spine(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_spine', 'ledgerlake')(start_expr, end_expr)) }}
{%- endmacro %}
{% macro duckdb__date_spine(start_expr, end_expr) -%}
    (select cast(d as date) as day from generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval 1 day) as g(d))
{%- endmacro %}
{# (lateral: the bounds are usually the joined relation's columns, `cross join {{ date_spine(...) }} as s`) #}
{% macro default__date_spine(start_expr, end_expr) -%}
    lateral (select day from unnest(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval '1' day)) as g(day))
{%- endmacro %}
{% macro spark__date_spine(start_expr, end_expr) -%}
    lateral (select explode(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)) as day)
{%- endmacro %}

{# The window's last non-NULL value: `{{ last_value_ignore_nulls('x') }} over (...)`. #}
{% macro last_value_ignore_nulls(expr) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__last_value_ignore_nulls(expr) -%}
    last_value({{ expr }} ignore nulls)
{%- endmacro %}
{% macro default__last_value_ignore_nulls(expr) -%}
    last_value({{ expr }}) ignore nulls
{%- endmacro %}
{% macro spark__last_value_ignore_nulls(expr) -%}
    last_value({{ expr }}, true)
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
{% macro spark__days_between(a, b) -%}
    datediff(cast({{ b }} as date), cast({{ a }} as date))
{%- endmacro %}

{#
  Keep one row per partition: the first by `order_by`.
      {{ dedupe('select ... from x', 'object_id', 'updated_at desc') }}
  DuckDB has QUALIFY; elsewhere a row_number() subquery (which keeps its `_row_<hash>` column).
#}
{% macro dedupe(relation_sql, partition_by, order_by) -%}
    {{ return(adapter.dispatch('dedupe', 'ledgerlake')(relation_sql, partition_by, order_by)) }}
{%- endmacro %}
{% macro duckdb__dedupe(relation_sql, partition_by, order_by) -%}
    select * from ({{ relation_sql }}) as d
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
{# (the row number's column is named after the dedupe, so a dedupe of a deduped relation
   does not meet its input's column of the same name) #}
{% macro default__dedupe(relation_sql, partition_by, order_by) -%}
    {%- set row = '_row_' ~ local_md5(partition_by ~ '|' ~ order_by)[:8] -%}
    select * from (
        select *, row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as {{ row }}
        from ({{ relation_sql }}) as d
    ) as ranked where {{ row }} = 1
{%- endmacro %}
{% macro spark__dedupe(relation_sql, partition_by, order_by) -%}
    {#- Spark 3.5 has no QUALIFY -#}
    {{ default__dedupe(relation_sql, partition_by, order_by) }}
{%- endmacro %}

{# The distinct non-NULL values of a group, sorted, as an array (a list in DuckDB). #}
{% macro sorted_distinct_list(expr) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__sorted_distinct_list(expr) -%}
    list(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null)
{%- endmacro %}
{% macro default__sorted_distinct_list(expr) -%}
    array_sort(array_agg(distinct {{ expr }}) filter (where {{ expr }} is not null))
{%- endmacro %}
{% macro spark__sorted_distinct_list(expr) -%}
    array_sort(collect_set({{ expr }}))
{%- endmacro %}

{# A company name reduced for matching: lower case, punctuation and legal suffixes removed. #}
{% macro normalize_name(expr) -%}
    trim({{ regexp_replace_all(regexp_replace_all('lower(' ~ expr ~ ')', '[^a-z0-9 ]', ' '),
        '\\b(inc|llc|ltd|limited|plc|llp|corp|co|com|the)\\b', '') }})
{%- endmacro %}

{# The initials of a multi-word normalized name, "and" left out ("amazon web services" -> "aws"):
   the acronym rule of vendor identity (int_vendor_identities, alerts/vendors.py). #}
{% macro initials(expr) -%}
    {{ return(adapter.dispatch('initials', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro default__initials(expr) -%}
    replace({{ regexp_replace_all(regexp_replace_all(expr, '\\band\\b', ''), '([a-z0-9])[a-z0-9]*', '\\1') }}, ' ', '')
{%- endmacro %}
{# Java regex: the group reference is $1 #}
{% macro spark__initials(expr) -%}
    replace({{ regexp_replace_all(regexp_replace_all(expr, '\\band\\b', ''), '([a-z0-9])[a-z0-9]*', '$1') }}, ' ', '')
{%- endmacro %}

{# Every match of `pattern` replaced (DuckDB replaces the first one unless told 'g'). #}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'ledgerlake')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{# An array at a JSON path is present (the quarantine's "wrong shape" test). #}
{% macro json_is_array(expr) -%}
    {{ return(adapter.dispatch('json_is_array', 'ledgerlake')(expr)) }}
{%- endmacro %}
{% macro duckdb__json_is_array(expr) -%}
    coalesce(json_type({{ expr }}) = 'ARRAY', false)
{%- endmacro %}
{% macro default__json_is_array(expr) -%}
    coalesce(json_array_length({{ expr }}) is not null, false)
{%- endmacro %}
{# json_array_length is NULL for anything but an array #}
{% macro spark__json_is_array(expr) -%}
    coalesce(json_array_length({{ expr }}) is not null, false)
{%- endmacro %}

{# An integer type wider than 64 bits (exact FX arithmetic on rates times 10^10). #}
{% macro wide_integer_type() -%}
    {{ return(adapter.dispatch('wide_integer_type', 'ledgerlake')()) }}
{%- endmacro %}
{% macro duckdb__wide_integer_type() -%}hugeint{%- endmacro %}
{% macro default__wide_integer_type() -%}decimal(38, 0){%- endmacro %}
{% macro spark__wide_integer_type() -%}decimal(38, 0){%- endmacro %}

{# Seconds from timestamp `a` to timestamp `b` (whole seconds). #}
{% macro seconds_between(a, b) -%}
    {{ return(adapter.dispatch('seconds_between', 'ledgerlake')(a, b)) }}
{%- endmacro %}
{% macro default__seconds_between(a, b) -%}
    date_diff('second', {{ a }}, {{ b }})
{%- endmacro %}
{% macro spark__seconds_between(a, b) -%}
    (unix_timestamp({{ b }}) - unix_timestamp({{ a }}))
{%- endmacro %}

{# The `p` quantile (0-1) of `expr` in a group, interpolated between the two nearest values. #}
{% macro percentile(expr, p) -%}
    {{ return(adapter.dispatch('percentile', 'ledgerlake')(expr, p)) }}
{%- endmacro %}
{% macro duckdb__percentile(expr, p) -%}
    quantile_cont({{ expr }}, {{ p }})
{%- endmacro %}
{% macro default__percentile(expr, p) -%}
    approx_percentile({{ expr }}, {{ p }})
{%- endmacro %}
{% macro spark__percentile(expr, p) -%}
    percentile({{ expr }}, {{ p }})
{%- endmacro %}

{#
  Bank reconciliation (marts/bank): the one engine-specific construct the matcher needs.
  The edit distance between two strings (a reference typed with two characters swapped is
  at distance 2). DuckDB and Spark call it levenshtein, Trino levenshtein_distance.
#}
{% macro edit_distance(a, b) -%}
    {{ return(adapter.dispatch('edit_distance', 'ledgerlake')(a, b)) }}
{%- endmacro %}
{% macro duckdb__edit_distance(a, b) -%}
    levenshtein({{ a }}, {{ b }})
{%- endmacro %}
{% macro spark__edit_distance(a, b) -%}
    levenshtein({{ a }}, {{ b }})
{%- endmacro %}
{% macro default__edit_distance(a, b) -%}
    levenshtein_distance({{ a }}, {{ b }})
{%- endmacro %}

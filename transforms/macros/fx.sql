{#
  FX reference rates from the ECB feed (ledgerlake.sources.ecb): parsing the landed gesmes
  XML and deriving cross rates through EUR with exact integer arithmetic.
#}

{#
  1 base = quote_per_eur / base_per_eur quote, rounded once, half-even, to 10 places (the
  scale of stg_reference__fx_rates.rate). Both inputs are the rates times 10^10 as HUGEINT:
  DuckDB divides DECIMALs in DOUBLE, so the quotient is an integer division plus an exact
  half-even remainder test. ledgerlake.sources.ecb.feed.cross_rate is the same rule in Python.
#}
{% macro fx_cross_rate(base_e10, quote_e10) -%}
    {{ return(adapter.dispatch('fx_cross_rate', 'ledgerlake')(base_e10, quote_e10)) }}
{%- endmacro %}
{% macro duckdb__fx_cross_rate(base_e10, quote_e10) -%}
    (cast(
        ({{ quote_e10 }} * 10000000000) // {{ base_e10 }}
        + case when 2 * (({{ quote_e10 }} * 10000000000) % {{ base_e10 }}) > {{ base_e10 }}
                 or (2 * (({{ quote_e10 }} * 10000000000) % {{ base_e10 }}) = {{ base_e10 }}
                     and (({{ quote_e10 }} * 10000000000) // {{ base_e10 }}) % 2 = 1)
               then 1 else 0 end
      as decimal(38, 0)) * cast('0.0000000001' as decimal(38, 10)))
{%- endmacro %}
{% macro default__fx_cross_rate(base_e10, quote_e10) -%}
    {# Trino divides DECIMALs exactly, rounding half up (ties differ from half-even only at an exact tie). #}
    cast(cast({{ quote_e10 }} as decimal(38, 0)) / cast({{ base_e10 }} as decimal(38, 0)) as decimal(38, 10))
{%- endmacro %}
{#
  Spark divides DECIMALs exactly but keeps only 6 places of a DECIMAL(38, 0) quotient, so
  the integer quotient is (a - a % b) / b (exact: a multiple of b) and the half-even
  remainder test is DuckDB's; the last step divides by 10^10 in a type narrow enough for
  Spark to keep the 10 places. Same rates as DuckDB to the last digit (test_spark_parity).
#}
{% macro spark__fx_cross_rate(base_e10, quote_e10) -%}
    {%- set a = '(cast(' ~ quote_e10 ~ ' as decimal(38, 0)) * 10000000000)' -%}
    {%- set b = 'cast(' ~ base_e10 ~ ' as decimal(38, 0))' -%}
    {%- set r = '(' ~ a ~ ' % ' ~ b ~ ')' -%}
    {%- set q = 'cast((' ~ a ~ ' - ' ~ r ~ ') / ' ~ b ~ ' as decimal(38, 0))' -%}
    cast(cast(
        {{ q }}
        + case when 2 * {{ r }} > {{ b }} or (2 * {{ r }} = {{ b }} and {{ q }} % 2 = 1) then 1 else 0 end
      as decimal(27, 0)) / cast(10000000000 as decimal(11, 0)) as decimal(38, 10))
{%- endmacro %}

{# Is there a hand-uploaded rates file (s3://{raw}/reference/fx_rates/*.csv)? It is optional now. #}
{% macro fx_override_present() -%}
    {{ return(adapter.dispatch('fx_override_present', 'ledgerlake')()) }}
{%- endmacro %}
{% macro duckdb__fx_override_present() -%}
    {{ return(reference_files_present('fx_rates')) }}
{%- endmacro %}
{% macro default__fx_override_present() -%}
    {{ return(true) }}
{%- endmacro %}
{# Spark reads a local or S3 copy of the rates files registered as lake.fx_rates (macros/lake.sql),
   named by var('fx_rates_root') (LEDGERLAKE_FX_RATES_ROOT): set only when the lake has such a file. #}
{% macro spark__fx_override_present() -%}
    {{ return(var('fx_rates_root', '') != '') }}
{%- endmacro %}

{# The rate from one currency into another: 1 within one currency, whatever the rates hold
   (an identity conversion needs no rate), else the looked-up rate (NULL when none). #}
{% macro rate_or_identity(from_currency_expr, to_currency_expr, rate_expr) -%}
    case when {{ from_currency_expr }} = {{ to_currency_expr }} then cast(1 as decimal(38, 10)) else {{ rate_expr }} end
{%- endmacro %}

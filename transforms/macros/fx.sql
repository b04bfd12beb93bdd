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

{# The rate from one currency into another: 1 within one currency, whatever the rates hold
   (an identity conversion needs no rate), else the looked-up rate (NULL when none). #}
{% macro rate_or_identity(from_currency_expr, to_currency_expr, rate_expr) -%}
    case when {{ from_currency_expr }} = {{ to_currency_expr }} then cast(1 as decimal(38, 10)) else {{ rate_expr }} end
{%- endmacro %}

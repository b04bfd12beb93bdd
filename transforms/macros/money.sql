{#
  Money never becomes a float. Provider integers in minor units convert by the currency's
  ISO-4217 exponent (JPY 0, BHD 3, most 2), the same table as ledgerlake/money.py (a
  pytest keeps the two identical). Amounts are DECIMAL(38, 6); note that DuckDB divides
  decimals in DOUBLE, so conversion multiplies by an exact decimal factor instead.
#}
{% macro currency_exponents() -%}
    {{ return({
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
        "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        "CLF": 4, "UYW": 4,
    }) }}
{%- endmacro %}

{% macro currency_exponent(currency_expr) -%}
    case upper({{ currency_expr }})
    {%- for code, exp in currency_exponents().items() %} when '{{ code }}' then {{ exp }}{% endfor %}
    else 2 end
{%- endmacro %}

{% macro money_type() -%}decimal(38, 6){%- endmacro %}

{# 1234 USD → 12.34; 1234 JPY → 1234. #}
{% macro minor_to_amount(minor_expr, currency_expr) -%}
    cast(
        try_cast({{ minor_expr }} as decimal(38, 6))
        * case {{ currency_exponent(currency_expr) }}
            when 0 then cast('1' as decimal(38, 6))
            when 3 then cast('0.001' as decimal(38, 6))
            when 4 then cast('0.0001' as decimal(38, 6))
            else cast('0.01' as decimal(38, 6)) end
        as {{ money_type() }})
{%- endmacro %}

{# A decimal amount given as text or number by the provider (QBO, Xero, Plaid, Shopify).
   A value that is not a number becomes NULL instead of failing the whole build; a NULL
   amount on a ledger line quarantines its document (int_journal_lines, `no amount`). #}
{% macro to_amount(expr) -%}
    try_cast({{ expr }} as {{ money_type() }})
{%- endmacro %}

{# Round to a currency's minor unit (after FX conversion). #}
{# (DuckDB's ROUND needs a constant scale, hence one branch per exponent; half away from zero.
   Each branch is cast on its own: a CASE over DECIMAL(38,0) and DECIMAL(38,2) branches is typed
   DECIMAL(38,0) by DuckDB, which would round every currency to whole units.) #}
{% macro round_to_currency(amount_expr, currency_expr) -%}
    case {{ currency_exponent(currency_expr) }}
        when 0 then cast(round({{ amount_expr }}, 0) as {{ money_type() }})
        when 3 then cast(round({{ amount_expr }}, 3) as {{ money_type() }})
        when 4 then cast(round({{ amount_expr }}, 4) as {{ money_type() }})
        else cast(round({{ amount_expr }}, 2) as {{ money_type() }}) end
{%- endmacro %}

{# Convert with a rate (decimal(38,10)); the result rounded to the target currency. #}
{% macro convert(amount_expr, rate_expr, target_currency_expr) -%}
    {{ return(adapter.dispatch('convert', 'ledgerlake')(amount_expr, rate_expr, target_currency_expr)) }}
{%- endmacro %}
{% macro default__convert(amount_expr, rate_expr, target_currency_expr) -%}
    {{ round_to_currency('cast(' ~ amount_expr ~ ' as decimal(38, 6)) * cast(' ~ rate_expr ~ ' as decimal(38, 10))', target_currency_expr) }}
{%- endmacro %}
{# Spark keeps a product's 16 places only when its precision fits in 38 digits (else it rounds
   to 6 places first, and rounding twice can move a cent): amounts below 10^14, rates below 10^7. #}
{% macro spark__convert(amount_expr, rate_expr, target_currency_expr) -%}
    {{ round_to_currency('cast(' ~ amount_expr ~ ' as decimal(20, 6)) * cast(' ~ rate_expr ~ ' as decimal(17, 10))', target_currency_expr) }}
{%- endmacro %}

{# amount / n without leaving DECIMAL (DuckDB divides decimals in DOUBLE): truncated to 6 places. #}
{% macro divide_money(amount_expr, divisor_expr) -%}
    {{ return(adapter.dispatch('divide_money', 'ledgerlake')(amount_expr, divisor_expr)) }}
{%- endmacro %}
{% macro duckdb__divide_money(amount_expr, divisor_expr) -%}
    cast(cast(cast(({{ amount_expr }}) * 1000000 as hugeint) // cast({{ divisor_expr }} as hugeint) as decimal(38, 0)) * cast('0.000001' as decimal(38, 6)) as {{ money_type() }})
{%- endmacro %}
{# Trino divides DECIMALs exactly (rounding half up): truncate explicitly to match DuckDB. #}
{% macro default__divide_money(amount_expr, divisor_expr) -%}
    cast(truncate(cast(({{ amount_expr }}) as decimal(38, 6)) * 1000000 / cast({{ divisor_expr }} as decimal(38, 0))) / 1000000 as {{ money_type() }})
{%- endmacro %}
{# Spark's `div` truncates toward zero like DuckDB's // (a bigint: amounts below 9.2 * 10^12). #}
{% macro spark__divide_money(amount_expr, divisor_expr) -%}
    cast(cast((cast(({{ amount_expr }}) * 1000000 as decimal(38, 0)) div cast({{ divisor_expr }} as decimal(38, 0))) as decimal(24, 0)) / cast(1000000 as decimal(7, 0)) as {{ money_type() }})
{%- endmacro %}

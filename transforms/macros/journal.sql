{#
  The journal-line contract: every double-entry model (models/intermediate/ledger/double_entry)
  has these columns, and int_journal_lines unions them by name, so a model that adds a
  column or orders its select differently cannot shift values into the wrong column.
#}
{% macro journal_line_columns() -%}
    {{ return(['source_system', 'tenant_id', 'document_type', 'document_id', 'doc_number', 'posted_on',
               'line_id', 'source_account_id', 'amount', 'contact_id', 'description', 'doc_currency',
               'exchange_rate', 'raw_key']) }}
{%- endmacro %}

{# `union all` of the double-entry models, each selected by column name in the contract's order
   (Spark SQL has no UNION BY NAME; an explicit select list is the portable spelling). #}
{% macro union_journal_lines(models) -%}
    {%- for model in models %}
    select
        {%- for column in journal_line_columns() %}
        {% if column == 'amount' %}cast(amount as {{ money_type() }}) as amount{% else %}{{ column }} as {{ column }}{% endif %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#
  The rate a ledger booked a foreign-currency document at, as functional units per 1 document
  unit (NULL when the document states none: int_journal_lines then uses the ECB rate of its
  date). Staging reads an absent rate as 1, and no real document currency trades at exactly 1
  against another, so 1 counts as "not stated".
  QBO ExchangeRate is already home units per 1 foreign unit. Xero CurrencyRate is document
  units per 1 base unit (EUR per GBP): inverted here exactly, to 10 places half-even, with the
  integer arithmetic of fx_cross_rate (DuckDB divides DECIMALs in DOUBLE).
#}
{% macro qbo_exchange_rate(rate_expr) -%}
    cast(nullif({{ rate_expr }}, 1) as decimal(38, 10))
{%- endmacro %}

{% macro xero_exchange_rate(currency_rate_expr) -%}
    case when {{ currency_rate_expr }} > 0 and {{ currency_rate_expr }} <> 1
         then {{ fx_cross_rate('cast(' ~ currency_rate_expr ~ ' * 10000000000 as decimal(38, 0))', 'cast(10000000000 as decimal(38, 0))') }}
    end
{%- endmacro %}

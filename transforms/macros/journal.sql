{#
  The journal-line contract: every double-entry model (models/intermediate/ledger/double_entry)
  has these columns, and int_journal_lines unions them by name, so a model that adds a
  column or orders its select differently cannot shift values into the wrong column.
#}
{% macro journal_line_columns() -%}
    {{ return(['source_system', 'tenant_id', 'document_type', 'document_id', 'doc_number', 'posted_on',
               'line_id', 'source_account_id', 'amount', 'contact_id', 'description', 'doc_currency',
               'raw_key']) }}
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

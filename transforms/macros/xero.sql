{#
  Every Xero record of every raw object, before dedup: one row per element of the
  collection array ({"Invoices": [...]}: list polls and single-record reads share it),
  with its tenant. stg_xero__records keeps the latest version of each identified record;
  stg_xero__quarantine lists the ones that cannot be identified.
#}
{% macro xero_collections() -%}
    {{ return([
        ('invoices', 'Invoices', 'InvoiceID'), ('payments', 'Payments', 'PaymentID'),
        ('banktransactions', 'BankTransactions', 'BankTransactionID'), ('creditnotes', 'CreditNotes', 'CreditNoteID'),
        ('accounts', 'Accounts', 'AccountID'), ('contacts', 'Contacts', 'ContactID'),
        ('manualjournals', 'ManualJournals', 'ManualJournalID'),
        ('trackingcategories', 'TrackingCategories', 'TrackingCategoryID')]) }}
{%- endmacro %}

{% macro xero_raw_records() %}
{%- for entity, collection, id_field in xero_collections() %}
xero_{{ entity }} as (
    select raw.raw_key, raw.received_at, {{ tenant_id('xero', 'raw.envelope') }} as tenant_id,
           '{{ entity }}' as entity, '{{ collection }}' as collection,
           nullif({{ json_str('item', '$.' ~ id_field) }}, '') as record_id, item as record
    from {{ json_each_row(source('xero', entity), 'raw', 'payload', '$.' ~ collection, 'item') }}
),
{%- endfor %}
xero_raw_records as (
{%- for entity, collection, id_field in xero_collections() %}
    select * from xero_{{ entity }}{% if not loop.last %} union all{% endif %}
{%- endfor %}
)
{% endmacro %}

{#
  The typed Xero staging models: a `source` CTE (one collection of stg_xero__records), then
  a `renamed` CTE spelling out the columns, as the QBO and Stripe ones do.
#}
{% macro xero_source(collection) -%}
    select * from {{ ref('stg_xero__records') }} where collection = '{{ collection }}'
{%- endmacro %}

{# Where each typed row came from. #}
{% macro xero_lineage() -%}
    updated_at,
    source_system,
    record_id as source_id,
    raw_key
{%- endmacro %}

{# A Xero line's id: `<parent id>:<LineItemID>`, or its position in the landed document when
   Xero sent no LineItemID (older payloads). #}
{% macro xero_line_id(parent_id) -%}
    {{ parent_id }} || ':' || coalesce(
        {{ json_str('line', '$.LineItemID') }},
        cast(row_number() over (
            partition by tenant_id, {{ parent_id }} order by raw_key, cast(line as varchar)
        ) as varchar)
    )
{%- endmacro %}

{#
  One row per detail line of a QBO document type (Invoice, CreditMemo, SalesReceipt use
  SalesItemLineDetail; Bill, Purchase use AccountBasedExpenseLineDetail). Subtotal and other
  line kinds are skipped. `id_name` names the document id column (`<id_name>_id`) and the
  line key (`<id_name>_line_id`).
#}
{% macro qbo_document_lines(entity_type, id_name, detail_type) %}
{%- set doc_id = id_name ~ '_id' -%}
{%- set detail = '$.' ~ detail_type -%}
with lines as (
    select r.record_id as {{ doc_id }}, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ json_each_row(ref('stg_qbo__records'), 'r', 'record', '$.Line', 'line', where="r.entity_type = '" ~ entity_type ~ "'") }}
)

select
    {{ doc_id }} || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as {{ id_name }}_line_id,
    {{ doc_id }},
    realm_id,
    realm_id as tenant_id,
    coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    {{ json_str('line', detail ~ '.PostingType') }} as posting_type,
    coalesce(
        {{ json_str('line', detail ~ '.AccountRef.value') }},
        {{ json_str('line', detail ~ '.ItemAccountRef.value') }}
    ) as account_id,
    {{ json_str('line', detail ~ '.ItemRef.value') }} as item_id,
    coalesce({{ json_str('line', detail ~ '.Entity.EntityRef.value') }},
             {{ json_str('line', detail ~ '.CustomerRef.value') }},
             {{ json_str('line', detail ~ '.Entity.value') }}) as party_id,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from lines
where {{ json_str('line', '$.DetailType') }} = '{{ detail_type }}'
{% endmacro %}

{#
  Every QBO entity record of every raw object, before dedup: /cdc pages (all types in one
  page) and single-entity reads ({"Invoice": {...}}), with the realm. stg_qbo__records
  keeps the latest version of each identified record; stg_qbo__quarantine the rest.
#}
{% macro qbo_entity_types() -%}
    {{ return(['Invoice', 'Payment', 'Bill', 'BillPayment', 'Customer', 'Vendor', 'Account',
               'JournalEntry', 'CreditMemo', 'Purchase', 'Deposit', 'SalesReceipt', 'RefundReceipt']) }}
{%- endmacro %}

{# The realm: stamped by the hydrator, or in a polled request's path (/v3/company/{realm}/…). #}
{% macro qbo_tenant(envelope) -%}
    {{ tenant_id('qbo', envelope, also="nullif(regexp_extract(coalesce(" ~ json_str(envelope, '$.extra.request.path') ~ ", " ~ json_str(envelope, '$.extra.request.url') ~ ", ''), 'company/([^/]+)/', 1), '{realm}')") }}
{%- endmacro %}

{% macro qbo_raw_records() %}
{%- set entity_types = qbo_entity_types() %}
{%- for t in entity_types %}
{{ t | lower }}_cdc as (
    select raw.raw_key, raw.received_at, {{ qbo_tenant('raw.envelope') }} as tenant_id, 'cdc' as entity, '{{ t }}' as entity_type, item as record
    from {{ json_each_row(raw_objects('qbo', 'cdc'), 'raw', 'payload', '$.CDCResponse[*].QueryResponse[*].' ~ t, 'item') }}
),
{{ t | lower }}_read as (
    select raw_key, received_at, {{ qbo_tenant('envelope') }} as tenant_id, '{{ t | lower }}' as entity, '{{ t }}' as entity_type, {{ json_get('payload', '$.' ~ t) }} as record
    from {{ raw_objects('qbo', t | lower) }}
    where {{ json_get('payload', '$.' ~ t) }} is not null
),
{%- endfor %}

qbo_raw_records as (
{%- for t in entity_types %}
    select * from {{ t | lower }}_cdc
    union all
    select * from {{ t | lower }}_read
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)
{% endmacro %}

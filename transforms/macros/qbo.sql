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

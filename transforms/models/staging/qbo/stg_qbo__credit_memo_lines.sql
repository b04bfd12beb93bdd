-- One row per line of a QBO CreditMemo (detail lines only; subtotal lines are skipped).
with lines as (
    select r.record_id as credit_memo_id, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ ref('stg_qbo__records') }} as r {{ json_each('r.record', '$.Line', 'line') }}
    where r.entity_type = 'CreditMemo'
)

select
    credit_memo_id || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as credit_memo_line_id,
    credit_memo_id,
    realm_id,
    coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    {{ json_str('line', '$.SalesItemLineDetail.PostingType') }} as posting_type,
    coalesce(
        {{ json_str('line', '$.SalesItemLineDetail.AccountRef.value') }},
        {{ json_str('line', '$.SalesItemLineDetail.ItemAccountRef.value') }}
    ) as account_id,
    {{ json_str('line', '$.SalesItemLineDetail.ItemRef.value') }} as item_id,
    coalesce({{ json_str('line', '$.SalesItemLineDetail.Entity.EntityRef.value') }},
             {{ json_str('line', '$.SalesItemLineDetail.CustomerRef.value') }},
             {{ json_str('line', '$.SalesItemLineDetail.Entity.value') }}) as party_id,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from lines
where {{ json_str('line', '$.DetailType') }} = 'SalesItemLineDetail'

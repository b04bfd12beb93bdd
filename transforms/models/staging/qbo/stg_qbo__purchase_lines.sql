-- One row per line of a QBO Purchase (detail lines only; subtotal lines are skipped).
with lines as (
    select r.record_id as purchase_id, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ ref('stg_qbo__records') }} as r {{ json_each('r.record', '$.Line', 'line') }}
    where r.entity_type = 'Purchase'
)

select
    purchase_id || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as purchase_line_id,
    purchase_id,
    realm_id,
    coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    {{ json_str('line', '$.AccountBasedExpenseLineDetail.PostingType') }} as posting_type,
    coalesce(
        {{ json_str('line', '$.AccountBasedExpenseLineDetail.AccountRef.value') }},
        {{ json_str('line', '$.AccountBasedExpenseLineDetail.ItemAccountRef.value') }}
    ) as account_id,
    {{ json_str('line', '$.AccountBasedExpenseLineDetail.ItemRef.value') }} as item_id,
    coalesce({{ json_str('line', '$.AccountBasedExpenseLineDetail.Entity.EntityRef.value') }},
             {{ json_str('line', '$.AccountBasedExpenseLineDetail.CustomerRef.value') }},
             {{ json_str('line', '$.AccountBasedExpenseLineDetail.Entity.value') }}) as party_id,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from lines
where {{ json_str('line', '$.DetailType') }} = 'AccountBasedExpenseLineDetail'

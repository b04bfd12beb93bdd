-- One row per line of a QBO Deposit (detail lines only; subtotal lines are skipped).
with lines as (
    select r.record_id as deposit_id, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ json_each_row(ref('stg_qbo__records'), 'r', 'record', '$.Line', 'line', where="r.entity_type = 'Deposit'") }}
)

select
    deposit_id || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as deposit_line_id,
    deposit_id,
    realm_id,
    realm_id as tenant_id,
    coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    {{ json_str('line', '$.DepositLineDetail.PostingType') }} as posting_type,
    coalesce(
        {{ json_str('line', '$.DepositLineDetail.AccountRef.value') }},
        {{ json_str('line', '$.DepositLineDetail.ItemAccountRef.value') }}
    ) as account_id,
    {{ json_str('line', '$.DepositLineDetail.ItemRef.value') }} as item_id,
    coalesce({{ json_str('line', '$.DepositLineDetail.Entity.EntityRef.value') }},
             {{ json_str('line', '$.DepositLineDetail.CustomerRef.value') }},
             {{ json_str('line', '$.DepositLineDetail.Entity.value') }}) as party_id,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from lines
where {{ json_str('line', '$.DetailType') }} = 'DepositLineDetail'

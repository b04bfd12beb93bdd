-- One row per document a QBO Payment is applied to (Line[].LinkedTxn[]): the allocation.
with lines as (
    select r.record_id as payment_id, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ json_each_row(ref('stg_qbo__records'), 'r', 'record', '$.Line', 'line', where="r.entity_type = 'Payment'") }}
),

linked as (
    select l.*
    from {{ json_each_row('lines', 'l', 'line', '$.LinkedTxn', 'linked') }}
)

select
    payment_id || ':' || {{ json_str('linked', '$.TxnType') }} || ':' || {{ json_str('linked', '$.TxnId') }} as allocation_id,
    payment_id,
    realm_id,
    realm_id as tenant_id,
    {{ json_str('linked', '$.TxnType') }} as applied_to_type,
    {{ json_str('linked', '$.TxnId') }} as applied_to_id,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from linked

with objects as (
    select * from {{ ref('stg_stripe__objects') }}
    where object_type = 'payout'
)

select
    tenant_id,
    object_id as payout_id,
    {{ json_str('object', '$.balance_transaction') }} as balance_transaction_id,
    {{ json_str('object', '$.destination') }} as destination_id,
    upper({{ json_str('object', '$.currency') }}) as currency,
    {{ minor_to_amount(json_str('object', '$.amount'), json_str('object', '$.currency')) }} as amount,
    {{ json_str('object', '$.status') }} as status,
    {{ json_str('object', '$.description') }} as description,
    {{ json_str('object', '$.statement_descriptor') }} as statement_descriptor,
    cast({{ from_unix_seconds(json_str('object', '$.arrival_date')) }} as date) as arrival_date,
    {{ from_unix_seconds(json_str('object', '$.created')) }} as created_at,
    is_deleted,
    source_system,
    object_id as source_id,
    event_id as source_event_id,
    raw_key
from objects

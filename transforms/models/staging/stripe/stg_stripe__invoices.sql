with objects as (
    select * from {{ ref('stg_stripe__objects') }}
    where object_type = 'invoice'
)

select
    tenant_id,
    object_id as invoice_id,
    {{ json_str('object', '$.number') }} as invoice_number,
    {{ json_str('object', '$.customer') }} as customer_id,
    {{ json_str('object', '$.subscription') }} as subscription_id,
    {{ json_str('object', '$.charge') }} as charge_id,
    upper({{ json_str('object', '$.currency') }}) as currency,
    {{ minor_to_amount(json_str('object', '$.total'), json_str('object', '$.currency')) }} as total_amount,
    {{ minor_to_amount(json_str('object', '$.amount_due'), json_str('object', '$.currency')) }} as amount_due,
    {{ minor_to_amount(json_str('object', '$.amount_paid'), json_str('object', '$.currency')) }} as amount_paid,
    {{ minor_to_amount(
        json_str('object', '$.amount_remaining'),
        json_str('object', '$.currency')
    ) }} as amount_remaining,
    {{ json_str('object', '$.status') }} as status,
    {{ json_str('object', '$.status') }} = 'void' as is_voided,
    {{ from_unix_seconds(json_str('object', '$.created')) }} as created_at,
    {{ from_unix_seconds(json_str('object', '$.due_date')) }} as due_at,
    {{ from_unix_seconds(json_str('object', '$.status_transitions.paid_at')) }} as paid_at,
    {{ json_get('object', '$.metadata') }} as metadata,
    is_deleted,
    source_system,
    object_id as source_id,
    event_id as source_event_id,
    raw_key
from objects

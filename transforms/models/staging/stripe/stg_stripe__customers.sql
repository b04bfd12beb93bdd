with objects as (
    select * from {{ ref('stg_stripe__objects') }}
    where object_type = 'customer'
)

select
    tenant_id,
    object_id as customer_id,
    {{ json_str('object', '$.name') }} as customer_name,
    lower({{ json_str('object', '$.email') }}) as email,
    {{ json_str('object', '$.metadata.hubspot_company_id') }} as hubspot_company_id,
    upper({{ json_str('object', '$.currency') }}) as currency,
    {{ from_unix_seconds(json_str('object', '$.created')) }} as created_at,
    is_deleted,
    source_system,
    object_id as source_id,
    event_id as source_event_id,
    raw_key
from objects

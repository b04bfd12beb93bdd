-- One row per QBO customer (latest version).
select
    r.record_id as customer_id,
    r.realm_id,
    r.tenant_id,
    {{ json_str('r.record', '$.DisplayName') }} as display_name,
    {{ json_str('r.record', '$.CompanyName') }} as company_name,
    lower({{ json_str('r.record', '$.PrimaryEmailAddr.Address') }}) as email,
    upper({{ json_str('r.record', '$.CurrencyRef.value') }}) as currency,
    coalesce(try_cast({{ json_str('r.record', '$.Active') }} as boolean), true) as is_active,
    r.updated_at,
    r.is_deleted,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_qbo__records') }} as r
where r.entity_type = 'Customer'

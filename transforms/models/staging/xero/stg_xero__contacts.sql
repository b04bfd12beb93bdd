-- One row per Xero contact, with its customer / supplier flags.
select
    r.record_id as contact_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Name') }} as contact_name,
    lower({{ json_str('r.record', '$.EmailAddress') }}) as email,
    coalesce(try_cast({{ json_str('r.record', '$.IsCustomer') }} as boolean), false) as is_customer,
    coalesce(try_cast({{ json_str('r.record', '$.IsSupplier') }} as boolean), false) as is_supplier,
    {{ json_str('r.record', '$.ContactStatus') }} as contact_status,
    coalesce({{ json_str('r.record', '$.ContactStatus') }} in ('ARCHIVED', 'GDPRREQUEST'), false) as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'Contacts'

-- One row per Xero contact, with its customer / supplier flags.
with source as (
    {{ xero_source('Contacts') }}
),

renamed as (
    select
        record_id as contact_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as contact_name,
        lower({{ json_str('record', '$.EmailAddress') }}) as email,
        coalesce(try_cast({{ json_str('record', '$.IsCustomer') }} as boolean), false) as is_customer,
        coalesce(try_cast({{ json_str('record', '$.IsSupplier') }} as boolean), false) as is_supplier,
        {{ json_str('record', '$.ContactStatus') }} as contact_status,
        coalesce({{ json_str('record', '$.ContactStatus') }} in ('ARCHIVED', 'GDPRREQUEST'), false) as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

-- One row per QBO vendor (supplier) (latest version).
with source as (
    {{ qbo_source('Vendor') }}
),

renamed as (
    select
        record_id as vendor_id,
        realm_id,
        tenant_id,
        {{ qbo_contact_columns() }},
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed

-- One row per QBO customer (latest version).
with source as (
    {{ qbo_source('Customer') }}
),

renamed as (
    select
        record_id as customer_id,
        realm_id,
        tenant_id,
        {{ qbo_contact_columns() }},
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed

-- One row per QBO Purchase (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('Purchase') }}
),

renamed as (
    select
        record_id as purchase_id,
        {{ qbo_payment_header('party_id', '$.EntityRef.value', '$.AccountRef.value') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

-- One row per QBO Bill (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('Bill') }}
),

renamed as (
    select
        record_id as bill_id,
        {{ qbo_document_header('vendor') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

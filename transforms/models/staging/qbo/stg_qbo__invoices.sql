-- One row per QBO Invoice (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('Invoice') }}
),

renamed as (
    select
        record_id as invoice_id,
        {{ qbo_document_header('customer') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

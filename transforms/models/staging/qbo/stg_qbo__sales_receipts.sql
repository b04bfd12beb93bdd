-- One row per QBO SalesReceipt (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('SalesReceipt') }}
),

renamed as (
    select
        record_id as sales_receipt_id,
        {{ qbo_document_header('customer') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

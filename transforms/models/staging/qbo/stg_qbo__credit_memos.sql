-- One row per QBO CreditMemo (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('CreditMemo') }}
),

renamed as (
    select
        record_id as credit_memo_id,
        {{ qbo_document_header('customer') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

-- One row per QBO Payment (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('Payment') }}
),

renamed as (
    select
        record_id as payment_id,
        {{ qbo_payment_header('customer_id', '$.CustomerRef.value', '$.DepositToAccountRef.value') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

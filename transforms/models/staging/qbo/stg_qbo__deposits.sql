-- One row per QBO Deposit (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('Deposit') }}
),

renamed as (
    select
        record_id as deposit_id,
        {{ qbo_payment_header('party_id', '$.EntityRef.value', '$.DepositToAccountRef.value') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

-- One row per QBO BillPayment (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('BillPayment') }}
),

renamed as (
    select
        record_id as bill_payment_id,
        {{ qbo_payment_header('vendor_id', '$.VendorRef.value', '$.CheckPayment.BankAccountRef.value') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

-- One row per Xero payment: one payment applies to exactly one invoice or credit note.
with source as (
    {{ xero_source('Payments') }}
),

renamed as (
    select
        record_id as payment_id,
        tenant_id,
        {{ json_str('record', '$.Invoice.InvoiceID') }} as invoice_id,
        {{ json_str('record', '$.Invoice.Type') }} as invoice_type,
        {{ json_str('record', '$.Invoice.Contact.ContactID') }} as contact_id,
        {{ json_str('record', '$.Account.AccountID') }} as bank_account_id,
        {{ json_str('record', '$.Account.Code') }} as bank_account_code,
        cast({{ xero_date(json_str('record', '$.Date')) }} as date) as payment_date,
        {{ json_str('record', '$.PaymentType') }} as payment_type,
        {{ json_str('record', '$.Status') }} as status,
        {{ json_str('record', '$.Reference') }} as reference,
        upper(
            coalesce({{ json_str('record', '$.Invoice.CurrencyCode') }}, {{ json_str('record', '$.CurrencyCode') }})
        ) as currency,
        try_cast(coalesce({{ json_str('record', '$.CurrencyRate') }}, '1') as decimal(38, 10)) as currency_rate,
        {{ to_amount(json_str('record', '$.Amount')) }} as amount,
        {{ json_str('record', '$.Status') }} = 'DELETED' as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

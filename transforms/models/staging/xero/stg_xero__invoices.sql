-- One row per Xero invoice: Type ACCREC (sales invoice, AR) or ACCPAY (bill, AP).
-- Status VOIDED / DELETED are flagged; amounts are decimals in the invoice currency.
with source as (
    {{ xero_source('Invoices') }}
),

renamed as (
    select
        record_id as invoice_id,
        tenant_id,
        {{ json_str('record', '$.Type') }} as invoice_type,
        {{ json_str('record', '$.InvoiceNumber') }} as invoice_number,
        {{ json_str('record', '$.Reference') }} as reference,
        {{ json_str('record', '$.Contact.ContactID') }} as contact_id,
        {{ json_str('record', '$.Contact.Name') }} as contact_name,
        cast({{ xero_date(json_str('record', '$.Date')) }} as date) as invoice_date,
        cast({{ xero_date(json_str('record', '$.DueDate')) }} as date) as due_date,
        {{ json_str('record', '$.Status') }} as status,
        {{ json_str('record', '$.LineAmountTypes') }} as line_amount_types,
        upper({{ json_str('record', '$.CurrencyCode') }}) as currency,
        try_cast(coalesce({{ json_str('record', '$.CurrencyRate') }}, '1') as decimal(38, 10)) as currency_rate,
        {{ to_amount(json_str('record', '$.SubTotal')) }} as subtotal_amount,
        {{ to_amount('coalesce(' ~ json_str('record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
        {{ to_amount(json_str('record', '$.Total')) }} as total_amount,
        {{ to_amount(json_str('record', '$.AmountDue')) }} as amount_due,
        {{ to_amount(json_str('record', '$.AmountPaid')) }} as amount_paid,
        {{ json_str('record', '$.Status') }} = 'VOIDED' as is_voided,
        {{ json_str('record', '$.Status') }} = 'DELETED' as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

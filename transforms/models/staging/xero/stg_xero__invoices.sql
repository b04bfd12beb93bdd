-- One row per Xero invoice: Type ACCREC (sales invoice, AR) or ACCPAY (bill, AP).
-- Status VOIDED / DELETED are flagged; amounts are decimals in the invoice currency.
select
    r.record_id as invoice_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Type') }} as invoice_type,
    {{ json_str('r.record', '$.InvoiceNumber') }} as invoice_number,
    {{ json_str('r.record', '$.Reference') }} as reference,
    {{ json_str('r.record', '$.Contact.ContactID') }} as contact_id,
    {{ json_str('r.record', '$.Contact.Name') }} as contact_name,
    cast({{ xero_date(json_str('r.record', '$.Date')) }} as date) as invoice_date,
    cast({{ xero_date(json_str('r.record', '$.DueDate')) }} as date) as due_date,
    {{ json_str('r.record', '$.Status') }} as status,
    {{ json_str('r.record', '$.LineAmountTypes') }} as line_amount_types,
    upper({{ json_str('r.record', '$.CurrencyCode') }}) as currency,
    try_cast(coalesce({{ json_str('r.record', '$.CurrencyRate') }}, '1') as decimal(38, 10)) as currency_rate,
    {{ to_amount(json_str('r.record', '$.SubTotal')) }} as subtotal_amount,
    {{ to_amount('coalesce(' ~ json_str('r.record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
    {{ to_amount(json_str('r.record', '$.Total')) }} as total_amount,
    {{ to_amount(json_str('r.record', '$.AmountDue')) }} as amount_due,
    {{ to_amount(json_str('r.record', '$.AmountPaid')) }} as amount_paid,
    {{ json_str('r.record', '$.Status') }} = 'VOIDED' as is_voided,
    {{ json_str('r.record', '$.Status') }} = 'DELETED' as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'Invoices'

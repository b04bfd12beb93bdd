-- One row per Xero payment: one payment applies to exactly one invoice or credit note.
select
    r.record_id as payment_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Invoice.InvoiceID') }} as invoice_id,
    {{ json_str('r.record', '$.Invoice.Type') }} as invoice_type,
    {{ json_str('r.record', '$.Invoice.Contact.ContactID') }} as contact_id,
    {{ json_str('r.record', '$.Account.AccountID') }} as bank_account_id,
    {{ json_str('r.record', '$.Account.Code') }} as bank_account_code,
    cast({{ xero_date(json_str('r.record', '$.Date')) }} as date) as payment_date,
    {{ json_str('r.record', '$.PaymentType') }} as payment_type,
    {{ json_str('r.record', '$.Status') }} as status,
    {{ json_str('r.record', '$.Reference') }} as reference,
    upper(coalesce({{ json_str('r.record', '$.Invoice.CurrencyCode') }}, {{ json_str('r.record', '$.CurrencyCode') }})) as currency,
    try_cast(coalesce({{ json_str('r.record', '$.CurrencyRate') }}, '1') as decimal(38, 10)) as currency_rate,
    {{ to_amount(json_str('r.record', '$.Amount')) }} as amount,
    {{ json_str('r.record', '$.Status') }} = 'DELETED' as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'Payments'

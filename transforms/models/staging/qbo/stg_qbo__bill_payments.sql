-- One row per QBO BillPayment (latest version; deletes and voids flagged).
select
    r.record_id as bill_payment_id,
    r.realm_id,
    r.tenant_id,
    {{ json_str('r.record', '$.DocNumber') }} as doc_number,
    {{ json_str('r.record', '$.VendorRef.value') }} as vendor_id,
    try_cast({{ json_str('r.record', '$.TxnDate') }} as date) as txn_date,
    upper(coalesce({{ json_str('r.record', '$.CurrencyRef.value') }}, 'USD')) as currency,
    try_cast(coalesce({{ json_str('r.record', '$.ExchangeRate') }}, '1') as decimal(38, 10)) as exchange_rate,
    {{ to_amount(json_str('r.record', '$.TotalAmt')) }} as total_amount,
    {{ to_amount(json_str('r.record', '$.UnappliedAmt')) }} as unapplied_amount,
    coalesce({{ json_str('r.record', '$.CheckPayment.BankAccountRef.value') }}, {{ json_str('r.record', '$.CreditCardPayment.CCAccountRef.value') }}) as bank_account_id,
    {{ json_str('r.record', '$.PaymentType') }} as payment_type,
    {{ json_str('r.record', '$.PrivateNote') }} as private_note,
    r.is_voided,
    r.updated_at,
    r.is_deleted,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_qbo__records') }} as r
where r.entity_type = 'BillPayment'

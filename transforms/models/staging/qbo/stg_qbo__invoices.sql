-- One row per QBO Invoice (latest version; deletes and voids flagged).
select
    r.record_id as invoice_id,
    r.realm_id,
    r.tenant_id,
    {{ json_str('r.record', '$.DocNumber') }} as doc_number,
    {{ json_str('r.record', '$.CustomerRef.value') }} as customer_id,
    {{ json_str('r.record', '$.CustomerRef.name') }} as customer_name,
    try_cast({{ json_str('r.record', '$.TxnDate') }} as date) as txn_date,
    try_cast({{ json_str('r.record', '$.DueDate') }} as date) as due_date,
    upper(coalesce({{ json_str('r.record', '$.CurrencyRef.value') }}, 'USD')) as currency,
    try_cast(coalesce({{ json_str('r.record', '$.ExchangeRate') }}, '1') as decimal(38, 10)) as exchange_rate,
    {{ to_amount(json_str('r.record', '$.TotalAmt')) }} as total_amount,
    {{ to_amount('coalesce(' ~ json_str('r.record', '$.TxnTaxDetail.TotalTax') ~ ", '0')") }} as tax_amount,
    {{ to_amount(json_str('r.record', '$.Balance')) }} as balance,
    {{ json_str('r.record', '$.PrivateNote') }} as private_note,
    {{ json_str('r.record', '$.CustomerMemo.value') }} as memo,
    {{ json_get('r.record', '$.CustomField') }} as custom_fields,
    {{ json_str('r.record', '$.APAccountRef.value') }} as ap_account_id,
    {{ json_str('r.record', '$.DepositToAccountRef.value') }} as deposit_account_id,
    r.is_voided,
    r.updated_at,
    r.is_deleted,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_qbo__records') }} as r
where r.entity_type = 'Invoice'

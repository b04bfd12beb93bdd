-- One row per Xero bank transaction (RECEIVE / SPEND money, incl. transfers' legs).
select
    r.record_id as bank_transaction_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Type') }} as transaction_type,
    {{ json_str('r.record', '$.Contact.ContactID') }} as contact_id,
    {{ json_str('r.record', '$.Contact.Name') }} as contact_name,
    {{ json_str('r.record', '$.BankAccount.AccountID') }} as bank_account_id,
    {{ json_str('r.record', '$.BankAccount.Code') }} as bank_account_code,
    cast({{ xero_date(json_str('r.record', '$.Date')) }} as date) as transaction_date,
    {{ json_str('r.record', '$.Reference') }} as reference,
    {{ json_str('r.record', '$.Status') }} as status,
    {{ json_str('r.record', '$.LineAmountTypes') }} as line_amount_types,
    upper({{ json_str('r.record', '$.CurrencyCode') }}) as currency,
    {{ to_amount(json_str('r.record', '$.SubTotal')) }} as subtotal_amount,
    {{ to_amount('coalesce(' ~ json_str('r.record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
    {{ to_amount(json_str('r.record', '$.Total')) }} as total_amount,
    coalesce(try_cast({{ json_str('r.record', '$.IsReconciled') }} as boolean), false) as is_reconciled,
    {{ json_str('r.record', '$.Status') }} = 'DELETED' as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'BankTransactions'

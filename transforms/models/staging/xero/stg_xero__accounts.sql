-- One row per Xero account; Class is Xero's 5 classes (ASSET, EQUITY, EXPENSE, LIABILITY, REVENUE).
select
    r.record_id as account_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Code') }} as account_code,
    {{ json_str('r.record', '$.Name') }} as account_name,
    {{ json_str('r.record', '$.Type') }} as account_type,
    {{ json_str('r.record', '$.Class') }} as account_class,
    {{ json_str('r.record', '$.SystemAccount') }} as system_account,
    {{ json_str('r.record', '$.BankAccountNumber') }} as bank_account_number,
    upper({{ json_str('r.record', '$.CurrencyCode') }}) as currency,
    {{ json_str('r.record', '$.Status') }} as status,
    {{ json_str('r.record', '$.Status') }} = 'DELETED' as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'Accounts'

-- One row per QBO ledger account. Classification is QBO's own 5 classes
-- (Asset, Liability, Equity, Revenue, Expense).
select
    r.record_id as account_id,
    r.realm_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Name') }} as account_name,
    {{ json_str('r.record', '$.AcctNum') }} as account_number,
    {{ json_str('r.record', '$.AccountType') }} as account_type,
    {{ json_str('r.record', '$.AccountSubType') }} as account_sub_type,
    {{ json_str('r.record', '$.Classification') }} as classification,
    upper({{ json_str('r.record', '$.CurrencyRef.value') }}) as currency,
    coalesce(try_cast({{ json_str('r.record', '$.Active') }} as boolean), true) as is_active,
    r.updated_at,
    r.is_deleted,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_qbo__records') }} as r
where r.entity_type = 'Account'

-- One row per QBO ledger account. Classification is QBO's own 5 classes
-- (Asset, Liability, Equity, Revenue, Expense).
with source as (
    {{ qbo_source('Account') }}
),

renamed as (
    select
        record_id as account_id,
        realm_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as account_name,
        {{ json_str('record', '$.AcctNum') }} as account_number,
        {{ json_str('record', '$.AccountType') }} as account_type,
        {{ json_str('record', '$.AccountSubType') }} as account_sub_type,
        {{ json_str('record', '$.Classification') }} as classification,
        upper({{ json_str('record', '$.CurrencyRef.value') }}) as currency,
        coalesce(try_cast({{ json_str('record', '$.Active') }} as boolean), true) as is_active,
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed

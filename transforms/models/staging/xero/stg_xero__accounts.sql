-- One row per Xero account; Class is Xero's 5 classes (ASSET, EQUITY, EXPENSE, LIABILITY, REVENUE).
with source as (
    {{ xero_source('Accounts') }}
),

renamed as (
    select
        record_id as account_id,
        tenant_id,
        {{ json_str('record', '$.Code') }} as account_code,
        {{ json_str('record', '$.Name') }} as account_name,
        {{ json_str('record', '$.Type') }} as account_type,
        {{ json_str('record', '$.Class') }} as account_class,
        {{ json_str('record', '$.SystemAccount') }} as system_account,
        {{ json_str('record', '$.BankAccountNumber') }} as bank_account_number,
        upper({{ json_str('record', '$.CurrencyCode') }}) as currency,
        {{ json_str('record', '$.Status') }} as status,
        {{ json_str('record', '$.Status') }} = 'DELETED' as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

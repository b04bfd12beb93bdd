-- One row per Xero bank transaction (RECEIVE / SPEND money, incl. transfers' legs).
with source as (
    {{ xero_source('BankTransactions') }}
),

renamed as (
    select
        record_id as bank_transaction_id,
        tenant_id,
        {{ json_str('record', '$.Type') }} as transaction_type,
        {{ json_str('record', '$.Contact.ContactID') }} as contact_id,
        {{ json_str('record', '$.Contact.Name') }} as contact_name,
        {{ json_str('record', '$.BankAccount.AccountID') }} as bank_account_id,
        {{ json_str('record', '$.BankAccount.Code') }} as bank_account_code,
        cast({{ xero_date(json_str('record', '$.Date')) }} as date) as transaction_date,
        {{ json_str('record', '$.Reference') }} as reference,
        {{ json_str('record', '$.Status') }} as status,
        {{ json_str('record', '$.LineAmountTypes') }} as line_amount_types,
        upper({{ json_str('record', '$.CurrencyCode') }}) as currency,
        {{ to_amount(json_str('record', '$.SubTotal')) }} as subtotal_amount,
        {{ to_amount('coalesce(' ~ json_str('record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
        {{ to_amount(json_str('record', '$.Total')) }} as total_amount,
        coalesce(try_cast({{ json_str('record', '$.IsReconciled') }} as boolean), false) as is_reconciled,
        {{ json_str('record', '$.Status') }} = 'DELETED' as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

-- One row per line of a Xero bank transaction (the non-bank side of the posting).
with source as (
    {{ xero_source('BankTransactions') }}
),

lines as (
    select
        s.record_id as bank_transaction_id,
        s.tenant_id,
        s.raw_key,
        s.source_system,
        s.line
    from {{ json_each_row('source', 's', 'record', '$.LineItems', 'line') }}
),

renamed as (
    select
        bank_transaction_id || ':' || coalesce(
            {{ json_str('line', '$.LineItemID') }},
            cast(row_number() over (
                partition by tenant_id, bank_transaction_id order by raw_key, cast(line as varchar)
            ) as varchar)
        ) as bank_transaction_line_id,
        bank_transaction_id,
        tenant_id,
        {{ json_str('line', '$.Description') }} as description,
        {{ json_str('line', '$.AccountCode') }} as account_code,
        {{ to_amount(json_str('line', '$.LineAmount')) }} as line_amount,
        {{ to_amount('coalesce(' ~ json_str('line', '$.TaxAmount') ~ ", '0')") }} as tax_amount,
        source_system,
        raw_key
    from lines
)

select * from renamed

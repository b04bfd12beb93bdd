-- One row per line of a Xero bank transaction (the non-bank side of the posting).
with lines as (
    select r.record_id as bank_transaction_id, r.tenant_id, r.raw_key, r.source_system, line
    from {{ json_each_row(ref('stg_xero__records'), 'r', 'record', '$.LineItems', 'line', where="r.collection = 'BankTransactions'") }}
)

select
    bank_transaction_id || ':' || coalesce({{ json_str('line', '$.LineItemID') }}, cast(row_number() over (partition by tenant_id, bank_transaction_id order by raw_key, cast(line as varchar)) as varchar)) as bank_transaction_line_id,
    bank_transaction_id,
    tenant_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ json_str('line', '$.AccountCode') }} as account_code,
    {{ to_amount(json_str('line', '$.LineAmount')) }} as line_amount,
    {{ to_amount('coalesce(' ~ json_str('line', '$.TaxAmount') ~ ", '0')") }} as tax_amount,
    source_system,
    raw_key
from lines

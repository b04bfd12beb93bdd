-- One row per Plaid account (/accounts/get, and the accounts echoed on sync pages),
-- latest balances by when the page was received.
with raw as {{ inline_cte() }} (
    select
        raw_key,
        received_at,
        envelope,
        payload
    from {{ raw_objects('plaid', 'accounts') }}
    union all
    select
        raw_key,
        received_at,
        envelope,
        payload
    from {{ raw_objects('plaid', 'transactions_sync') }}
),

items as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('plaid', 'raw.envelope') }} as tenant_id,
        raw.item
    from {{ json_each_row('raw', 'raw', 'payload', '$.accounts', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('item', '$.account_id') }}, '') as account_id,
        {{ json_str('item', '$.name') }} as account_name,
        {{ json_str('item', '$.official_name') }} as official_name,
        {{ json_str('item', '$.mask') }} as mask,
        {{ json_str('item', '$.type') }} as account_type,
        {{ json_str('item', '$.subtype') }} as account_subtype,
        upper({{ json_str('item', '$.balances.iso_currency_code') }}) as currency,
        {{ to_amount(json_str('item', '$.balances.current')) }} as current_balance,
        {{ to_amount(json_str('item', '$.balances.available')) }} as available_balance,
        'plaid' as source_system,
        {{ json_str('item', '$.account_id') }} as source_id,
        raw_key,
        received_at
    from items
)

{{ dedupe(
    'select * from renamed where account_id is not null',
    'tenant_id, account_id',
    'received_at desc, raw_key desc'
) }}

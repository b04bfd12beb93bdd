-- One row per Shopify Payments balance transaction (REST balance/transactions.json).
-- Money is in decimal strings; `amount` is gross, `fee` positive, `net` = amount - fee.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'balance_transactions') }}
),

items as (
    select raw.raw_key, raw.received_at, {{ tenant_id('shopify', 'raw.envelope') }} as tenant_id, raw.item
    from {{ json_each_row('raw', 'raw', 'payload', '$.transactions', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('item', '$.id') }}, '') as balance_transaction_id,
        {{ json_str('item', '$.type') }} as transaction_type,
        {{ json_str('item', '$.payout_id') }} as payout_id,
        {{ json_str('item', '$.payout_status') }} as payout_status,
        {{ json_str('item', '$.source_id') }} as source_object_id,
        {{ json_str('item', '$.source_type') }} as source_object_type,
        {{ json_str('item', '$.source_order_id') }} as order_id,
        upper({{ json_str('item', '$.currency') }}) as currency,
        {{ to_amount(json_str('item', '$.amount')) }} as amount,
        {{ to_amount(json_str('item', '$.fee')) }} as fee,
        {{ to_amount(json_str('item', '$.net')) }} as net,
        {{ iso_to_utc(json_str('item', '$.processed_at')) }} as processed_at,
        'shopify' as source_system,
        {{ json_str('item', '$.id') }} as source_id,
        raw_key,
        received_at
    from items
)

{{ dedupe(
    'select * from renamed where balance_transaction_id is not null',
    'tenant_id, balance_transaction_id',
    'received_at desc, raw_key desc'
) }}

-- One row per Shopify Payments payout (REST shopify_payments/payouts.json pages).
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'payouts') }}
),

items as (
    select raw.raw_key, raw.received_at, {{ tenant_id('shopify', 'raw.envelope') }} as tenant_id, raw.item
    from {{ json_each_row('raw', 'raw', 'payload', '$.payouts', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('item', '$.id') }}, '') as payout_id,
        {{ json_str('item', '$.status') }} as status,
        try_cast({{ json_str('item', '$.date') }} as date) as payout_date,
        upper({{ json_str('item', '$.currency') }}) as currency,
        {{ to_amount(json_str('item', '$.amount')) }} as amount,
        {{ to_amount(json_str('item', '$.summary.charges_gross_amount')) }} as charges_gross_amount,
        {{ to_amount(json_str('item', '$.summary.charges_fee_amount')) }} as charges_fee_amount,
        {{ to_amount(json_str('item', '$.summary.refunds_gross_amount')) }} as refunds_gross_amount,
        'shopify' as source_system,
        {{ json_str('item', '$.id') }} as source_id,
        raw_key,
        received_at
    from items
)

{{ dedupe(
    'select * from renamed where payout_id is not null',
    'tenant_id, payout_id',
    'received_at desc, raw_key desc'
) }}

-- One row per Shopify refund (refunds/create webhook; also embedded in REST orders).
-- The refunded money is the sum of the refund's `refund` transactions.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'refunds') }}
),

refunds as (
    select raw_key, cast(payload as json) as refund from raw
    union all
    select o.raw_key, item as refund
    from {{ json_each_row(raw_objects('shopify', 'orders'), 'o', 'payload', '$.refunds', 'item', where="o.arrival = 'webhook'") }}
),

transactions as (
    select
        {{ json_str('r.refund', '$.id') }} as refund_id,
        {{ json_str('t', '$.kind') }} as kind,
        {{ json_str('t', '$.status') }} as status,
        {{ to_amount(json_str('t', '$.amount')) }} as amount,
        upper({{ json_str('t', '$.currency') }}) as currency
    from {{ json_each_row('refunds', 'r', 'refund', '$.transactions', 't') }}
),

totals as (
    select refund_id, sum(amount) as amount, min(currency) as currency
    from transactions
    where kind = 'refund' and coalesce(status, 'success') = 'success'
    group by refund_id
),

renamed as (
    select
        {{ json_str('refund', '$.id') }} as refund_id,
        {{ json_str('refund', '$.order_id') }} as order_id,
        {{ iso_to_utc(json_str('refund', '$.created_at')) }} as created_at,
        {{ iso_to_utc(json_str('refund', '$.processed_at')) }} as processed_at,
        {{ json_str('refund', '$.note') }} as note,
        'shopify' as source_system,
        {{ json_str('refund', '$.id') }} as source_id,
        raw_key
    from refunds
),

latest as (
    {{ dedupe('select * from renamed', 'refund_id', 'raw_key') }}
)

select
    latest.refund_id,
    latest.order_id,
    coalesce(totals.currency, orders.currency) as currency,
    coalesce(totals.amount, cast(0 as {{ money_type() }})) as amount,
    latest.created_at,
    coalesce(latest.processed_at, latest.created_at) as processed_at,
    latest.note,
    latest.source_system,
    latest.source_id,
    latest.raw_key
from latest
left join totals using (refund_id)
left join {{ ref('stg_shopify__orders') }} as orders using (order_id)

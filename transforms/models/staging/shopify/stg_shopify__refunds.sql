-- One row per Shopify refund per shop. A refund arrives in its refunds/create webhook and
-- again inside every later orders/* webhook of its order (Shopify resends the whole order
-- on each update), so one refund is seen in many raw objects: one copy is kept per (shop,
-- refund id) — the latest received — before its `refund` transactions are summed.
-- A refund without an id is in stg_shopify__quarantine instead.
with raw_refunds as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'refunds') }}
),

refunds as (
    select
        raw_key,
        received_at,
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        0 as embedded,
        cast(payload as json) as refund
    from raw_refunds
    union all
    select
        o.raw_key,
        o.received_at,
        {{ tenant_id('shopify', 'o.envelope') }} as tenant_id,
        1 as embedded,
        item as refund
    from {{ json_each_row(
        raw_objects('shopify', 'orders'),
        'o',
        'payload',
        '$.refunds',
        'item',
        where="o.arrival = 'webhook'"
    ) }}
),

identified as (
    select
        *,
        nullif({{ json_str('refund', '$.id') }}, '') as refund_id
    from refunds
),

-- one copy per refund: the latest received (a refund is immutable once created; a later
-- copy can only know more, e.g. a transaction that settled); the standalone webhook wins ties
latest as (
    {{ dedupe('select * from identified where refund_id is not null', 'tenant_id, refund_id',
              'received_at desc, embedded, raw_key desc') }}
),

transactions as (
    select
        r.tenant_id,
        r.refund_id,
        nullif({{ json_str('t', '$.id') }}, '') as transaction_id,
        {{ json_str('t', '$.kind') }} as kind,
        {{ json_str('t', '$.status') }} as status,
        {{ to_amount(json_str('t', '$.amount')) }} as amount,
        upper({{ json_str('t', '$.currency') }}) as currency
    from {{ json_each_row('latest', 'r', 'refund', '$.transactions', 't') }}
),

totals as (
    select
        tenant_id,
        refund_id,
        sum(amount) as amount,
        min(currency) as currency
    from transactions
    where kind = 'refund' and coalesce(status, 'success') = 'success'
    group by tenant_id, refund_id
)

select
    latest.tenant_id,
    latest.refund_id,
    {{ json_str('latest.refund', '$.order_id') }} as order_id,
    coalesce(totals.currency, orders.currency) as currency,
    coalesce(totals.amount, cast(0 as {{ money_type() }})) as amount,
    {{ iso_to_utc(json_str('latest.refund', '$.created_at')) }} as created_at,
    coalesce(
        {{ iso_to_utc(json_str('latest.refund', '$.processed_at')) }},
        {{ iso_to_utc(json_str('latest.refund', '$.created_at')) }}
    ) as processed_at,
    {{ json_str('latest.refund', '$.note') }} as note,
    'shopify' as source_system,
    latest.refund_id as source_id,
    latest.raw_key
from latest
left join totals on totals.tenant_id = latest.tenant_id and totals.refund_id = latest.refund_id
left join {{ ref('stg_shopify__orders') }} as orders
    on orders.tenant_id = latest.tenant_id and orders.order_id = {{ json_str('latest.refund', '$.order_id') }}

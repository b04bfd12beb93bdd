-- Integrity (always on): every payout equals the net of the balance transactions it
-- settles (Stripe: transactions listed on its payout= pages; Shopify: payout_id), for
-- payouts whose transactions are in the lake.
with stripe as (
    select
        p.payout_id,
        p.amount,
        sum(bt.net) as settled
    from {{ ref('stg_stripe__payouts') }} as p
    join {{ ref('stg_stripe__balance_transactions') }} as bt
        on bt.payout_id = p.payout_id and bt.transaction_type != 'payout'
    group by p.payout_id, p.amount
),

shopify as (
    select
        p.payout_id,
        p.amount,
        sum(bt.net) as settled
    from {{ ref('stg_shopify__payouts') }} as p
    join {{ ref('stg_shopify__balance_transactions') }} as bt
        on bt.payout_id = p.payout_id and bt.transaction_type != 'payout'
    group by p.payout_id, p.amount
)

select
    'stripe' as source_system,
    *
from stripe
where amount != settled
union all
select
    'shopify' as source_system,
    *
from shopify
where amount != settled

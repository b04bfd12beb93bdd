-- One row per processor payout (Stripe, Shopify Payments) with the entity it settles to.
select
    'stripe:' || p.payout_id as payout_key,
    'stripe' as source_system,
    se.entity_id,
    p.payout_id,
    p.arrival_date as expected_on,
    p.currency,
    p.amount,
    p.status,
    p.raw_key
from {{ ref('stg_stripe__payouts') }} as p
left join {{ ref('source_entities') }} as se on se.source_system = 'stripe'
where not p.is_deleted
union all
select
    'shopify:' || p.payout_id as payout_key,
    'shopify' as source_system,
    se.entity_id,
    p.payout_id,
    p.payout_date as expected_on,
    p.currency,
    p.amount,
    p.status,
    p.raw_key
from {{ ref('stg_shopify__payouts') }} as p
left join {{ ref('source_entities') }} as se on se.source_system = 'shopify'

-- Grain: one row per paid Stripe / Shopify payout with no bank inflow (Plaid) of the same
-- amount and currency that names the payout, or that names no payout and lands within
-- `payout_deposit_window_days` of its expected arrival, judged only once the window has passed in the bank data (a
-- payout due tomorrow is in transit, not missing).
with deposits as (
    select
        transaction_id,
        transaction_date,
        currency,
        amount,
        description
    from {{ ref('stg_plaid__transactions') }}
    where not is_deleted and not is_pending and amount > 0
),

as_of as (
    -- the latest day the lake has data for (bank feed or ledger)
    select greatest(
        coalesce((select max(transaction_date) from {{ ref('stg_plaid__transactions') }}), date '1900-01-01'),
        coalesce((select max(posted_on) from {{ ref('general_ledger') }}), date '1900-01-01')
    ) as as_of_date
),

payout_tokens as (
    -- Bank feeds name a payout by its id, Stripe's without the `po_` prefix
    -- ("STRIPE TRANSFER ST-<id>"), Shopify's as is ("SHOPIFY PAYMENTS <id>").
    select
        payout_key,
        replace(payout_id, 'po_', '') as token
    from {{ ref('int_payouts') }}
),

claims as (
    -- which deposit names which payout: a deposit that names one payout cannot settle another
    select
        b.transaction_id,
        t.payout_key
    from deposits as b
    inner join payout_tokens as t on b.description like '%' || t.token || '%'
),

claimed_deposits as (
    select distinct transaction_id from claims
),

settled as (
    -- payouts a deposit of the same amount and currency settles: one that names this
    -- payout, or one that names no payout at all and arrives within the window (a bank
    -- that truncates descriptions): same amount alone never settles a named twin.
    -- (A join, not a doubly nested correlated subquery: Spark cannot resolve those.)
    select distinct p.payout_key
    from {{ ref('int_payouts') }} as p
    inner join deposits as b on b.currency = p.currency and b.amount = p.amount
    left join claims as named on named.transaction_id = b.transaction_id and named.payout_key = p.payout_key
    left join claimed_deposits as any_claim on any_claim.transaction_id = b.transaction_id
    where
        named.payout_key is not null
        or (
            any_claim.transaction_id is null
            and abs(
                {{ days_between('p.expected_on', 'b.transaction_date') }}
            ) <= {{ var('payout_deposit_window_days') }}
        )
)

select
    p.payout_key,
    p.source_system,
    p.entity_id,
    p.payout_id,
    p.expected_on,
    p.currency,
    p.amount,
    p.raw_key
from {{ ref('int_payouts') }} as p
cross join as_of
where
    {{ days_between('p.expected_on', 'as_of.as_of_date') }} >= {{ var('payout_deposit_window_days') }}
    and p.status in ('paid', 'in_transit')
    and p.amount > 0
    and not exists (
        select 1 from settled as s
        where s.payout_key = p.payout_key
    )

-- Grain: one row per paid Stripe / Shopify payout with no bank inflow (Plaid) of the same
-- amount and currency that names the payout or lands within `payout_deposit_window_days`
-- of its expected arrival, judged only once the window has passed in the bank data (a
-- payout due tomorrow is in transit, not missing).
with deposits as (
    select transaction_id, transaction_date, currency, amount, description
    from {{ ref('stg_plaid__transactions') }}
    where not is_deleted and not is_pending and amount > 0
),

as_of as (
    -- the latest day the lake has data for (bank feed or ledger)
    select greatest(
        coalesce((select max(transaction_date) from {{ ref('stg_plaid__transactions') }}), date '1900-01-01'),
        coalesce((select max(posted_on) from {{ ref('general_ledger') }}), date '1900-01-01')) as as_of_date
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
where {{ days_between('p.expected_on', 'as_of.as_of_date') }} >= {{ var('payout_deposit_window_days') }}
  and p.status in ('paid', 'in_transit')
  and p.amount > 0
  and not exists (
      select 1 from deposits as b
      where b.currency = p.currency and b.amount = p.amount
        and (b.description like '%' || p.payout_id || '%'
             or abs({{ days_between('p.expected_on', 'b.transaction_date') }}) <= {{ var('payout_deposit_window_days') }})
  )

-- Grain: one row per processor refund (Stripe refund, Shopify Payments refund) that the
-- ledger does not account for: on the refund's day (UTC) the refunds the ledger booked
-- against that processor's clearing account fall short of the processor's refunds, judged
-- only once the ledger has data `refund_ledger_grace_days` past the refund.
--
-- Why by day and not one-to-one: the books take processor activity as one journal per
-- day (QBO `STRIPE-YYYYMMDD`, Xero "Shopify sales YYYY-MM-DD": sales, refunds, fees), so a
-- refund has no ledger line of its own. What the ledger booked as refunds on a day is the
-- refund side of the documents that post to the clearing account: their debits to revenue
-- (the refund / returns contra-revenue account) and to liabilities (sales tax given back,
-- VAT on a Shopify refund). Sales only credit those classes, fees and chargebacks are
-- expenses, payouts and card payments of invoices touch only assets — nothing else in
-- those documents debits revenue or a liability.
-- Which refund is missing when a day falls short: the one whose amount is the shortfall
-- (`match_basis` = 'exact_amount'); when no single refund of the day explains it, every
-- refund of that day is listed ('day_shortfall') for a person to sort out.
-- The clearing account is found from the data: the account the ledger moves each
-- processor payout out of (the deposit naming the payout id), not from account names.
{%- set grace = var('refund_ledger_grace_days', 7) %}
with as_of as (
    select max(posted_on) as as_of_date from {{ ref('general_ledger') }}
),

refunds as (
    select
        'stripe' as source_system,
        se.entity_id,
        r.refund_id,
        r.charge_id as parent_id,
        cast(r.created_at as date) as refunded_on,
        r.currency,
        r.amount,
        r.source_id,
        r.raw_key
    from {{ ref('stg_stripe__refunds') }} as r
    left join {{ ref('source_entities') }} as se on se.source_system = 'stripe'
    where r.status = 'succeeded' and r.amount > 0
    union all
    -- Shopify: the balance transaction carries the refund in the shop's currency (the refund
    -- object's transactions are in the buyer's presentment currency).
    select
        'shopify' as source_system,
        se.entity_id,
        b.source_object_id as refund_id,
        b.order_id as parent_id,
        cast(b.processed_at as date) as refunded_on,
        b.currency,
        -b.amount as amount,
        b.source_object_id as source_id,
        coalesce(s.raw_key, b.raw_key) as raw_key
    from {{ ref('stg_shopify__balance_transactions') }} as b
    left join {{ ref('stg_shopify__refunds') }} as s on s.refund_id = b.source_object_id
    left join {{ ref('source_entities') }} as se on se.source_system = 'shopify'
    where b.transaction_type = 'refund' and b.amount < 0
),

gl as (
    select
        entity_id,
        source_system as ledger_system,
        document_type,
        document_id,
        posted_on,
        account_key,
        account_class,
        is_bank,
        description,
        transaction_currency,
        transaction_amount
    from {{ ref('general_ledger') }}
),

payout_documents as (
    -- ledger bank documents that name a processor payout
    select distinct
        p.source_system as processor,
        g.entity_id,
        g.ledger_system,
        g.document_type,
        g.document_id
    from {{ ref('int_payouts') }} as p
    join gl as g
        on
            g.entity_id = p.entity_id and g.is_bank and g.transaction_amount > 0
            and g.description like '%' || p.payout_id || '%'
),

clearing_votes as (
    select
        d.processor,
        g.entity_id,
        g.account_key,
        count(*) as n
    from payout_documents as d
    join gl as g
        on g.ledger_system = d.ledger_system and g.document_type = d.document_type and g.document_id = d.document_id
    where not g.is_bank and g.transaction_amount < 0
    group by d.processor, g.entity_id, g.account_key
),

clearing_accounts as (
    {{ dedupe('select * from clearing_votes', 'processor, entity_id', 'n desc, account_key') }}
),

processor_documents as (
    select distinct
        c.processor,
        g.entity_id,
        g.ledger_system,
        g.document_type,
        g.document_id
    from clearing_accounts as c
    join gl as g on g.entity_id = c.entity_id and g.account_key = c.account_key
),

booked_by_day as (
    select
        d.processor,
        g.entity_id,
        g.posted_on,
        g.transaction_currency as currency,
        sum(g.transaction_amount) as booked
    from processor_documents as d
    join gl as g
        on g.ledger_system = d.ledger_system and g.document_type = d.document_type and g.document_id = d.document_id
    where g.account_class in ('revenue', 'liability') and g.transaction_amount > 0
    group by d.processor, g.entity_id, g.posted_on, g.transaction_currency
),

refunds_by_day as (
    select
        source_system,
        entity_id,
        refunded_on,
        currency,
        sum(amount) as refunded,
        count(*) as refunds
    from refunds
    group by source_system, entity_id, refunded_on, currency
),

short_days as (
    select
        r.source_system,
        r.entity_id,
        r.refunded_on,
        r.currency,
        r.refunded,
        coalesce(b.booked, cast(0 as {{ money_type() }})) as booked,
        r.refunded - coalesce(b.booked, cast(0 as {{ money_type() }})) as shortfall
    from refunds_by_day as r
    cross join as_of
    left join booked_by_day as b
        on
            b.processor = r.source_system and b.entity_id = r.entity_id
            and b.posted_on = r.refunded_on and b.currency = r.currency
    where
        r.refunded_on <= as_of.as_of_date - {{ grace }}
        and r.refunded - coalesce(b.booked, cast(0 as {{ money_type() }})) > 0
),

exact as (
    select distinct
        d.source_system,
        d.entity_id,
        d.refunded_on
    from short_days as d
    join refunds as r
        on
            r.source_system = d.source_system and r.entity_id = d.entity_id
            and r.refunded_on = d.refunded_on and r.amount = d.shortfall
)

select
    r.source_system || ':' || r.refund_id as refund_key,
    r.source_system,
    r.entity_id,
    r.refund_id,
    r.parent_id,
    r.refunded_on,
    r.currency,
    r.amount,
    d.refunded as day_refunded,
    d.booked as day_booked,
    d.shortfall as day_shortfall,
    case when e.refunded_on is not null then 'exact_amount' else 'day_shortfall' end as match_basis,
    {{ days_between('r.refunded_on', 'as_of.as_of_date') }} as days_since_refund,
    r.source_id,
    r.raw_key
from refunds as r
cross join as_of
join short_days as d
    on
        d.source_system = r.source_system and d.entity_id = r.entity_id
        and d.refunded_on = r.refunded_on and d.currency = r.currency
left join exact as e
    on e.source_system = r.source_system and e.entity_id = r.entity_id and e.refunded_on = r.refunded_on
where e.refunded_on is null or r.amount = d.shortfall

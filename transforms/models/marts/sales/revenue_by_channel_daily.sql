-- Grain: one row per entity, calendar day, sales channel and transaction currency: orders
-- placed, sales (tax-exclusive), refunds and revenue (sales − refunds), in the transaction,
-- functional and reporting currency with the day's rates. Channels: `subscriptions` and
-- `one_off_charges` (Stripe), `online_store` (Shopify) from the orders mart, dated by the
-- order and, for refunds, by the refund; `invoiced` is the ledger's operating revenue on
-- sales invoices, credit notes and sales receipts (QBO, Xero), dated by the document.
-- Refund tax is apportioned by the order's tax share (processors report refunds gross).
{%- set reporting = var('reporting_currency') %}
with orders as (
    select * from {{ ref('orders') }}
    where not is_cancelled and not is_deleted
),

order_sales as (
    select
        entity_id,
        order_date as day,
        channel,
        currency,
        count(*) as orders,
        sum(net_amount) as sales,
        cast(0 as {{ money_type() }}) as refunds
    from orders
    group by entity_id, order_date, channel, currency
),

refund_rows as (
    select
        'stripe:' || r.charge_id as order_key,
        cast(r.created_at as date) as day,
        r.amount
    from {{ ref('stg_stripe__refunds') }} as r
    where coalesce(r.status, 'succeeded') in ('succeeded', 'pending')
    union all
    select
        'shopify:' || r.order_id as order_key,
        cast(r.processed_at as date) as day,
        r.amount
    from {{ ref('stg_shopify__refunds') }} as r
),

order_refunds as (
    select
        o.entity_id,
        r.day,
        o.channel,
        o.currency,
        0 as orders,
        cast(0 as {{ money_type() }}) as sales,
        sum(case
            when o.gross_amount = 0 then r.amount
            else {{ round_to_currency('r.amount * o.net_amount / o.gross_amount', 'o.currency') }}
        end) as refunds
    from refund_rows as r
    join orders as o using (order_key)
    group by o.entity_id, r.day, o.channel, o.currency
),

invoiced as (
    select
        entity_id,
        posted_on as day,
        'invoiced' as channel,
        transaction_currency as currency,
        count(distinct case when document_type in ('Invoice', 'SalesReceipt') then document_id end) as orders,
        sum(case when document_type in ('Invoice', 'SalesReceipt') then -transaction_amount else 0 end) as sales,
        sum(case when document_type in ('CreditMemo', 'CreditNote') then transaction_amount else 0 end) as refunds
    from {{ ref('general_ledger') }}
    where is_operating_revenue and document_type in ('Invoice', 'SalesReceipt', 'CreditMemo', 'CreditNote')
    group by entity_id, posted_on, transaction_currency
),

unioned as (
    select * from order_sales
    union all
    select * from order_refunds
    union all
    select * from invoiced
),

daily as (
    select
        entity_id,
        day,
        channel,
        currency,
        sum(orders) as orders,
        sum(sales) as sales,
        sum(refunds) as refunds,
        sum(sales) - sum(refunds) as revenue
    from unioned
    group by entity_id, day, channel, currency
),

converted as (
    select
        d.*,
        le.functional_currency,
        {{ rate_or_identity('d.currency', 'le.functional_currency', 'fr.rate') }} as to_functional_rate,
        case
            when d.currency = le.functional_currency then d.revenue
            else {{ convert('d.revenue', 'fr.rate', 'le.functional_currency') }}
        end as revenue_functional
    from daily as d
    join {{ ref('legal_entities') }} as le on le.entity_id = d.entity_id
    left join {{ ref('int_fx_pair_rates_daily') }} as fr
        on fr.base_currency = d.currency and fr.quote_currency = le.functional_currency and fr.rate_date = d.day
)

select
    c.entity_id || ':' || cast(c.day as varchar) || ':' || c.channel || ':' || c.currency as revenue_channel_day_key,
    c.entity_id,
    c.day as revenue_date,
    {{ month_start('c.day') }} as period_month,
    c.channel,
    c.currency,
    c.orders,
    c.sales,
    c.refunds,
    c.revenue,
    c.functional_currency,
    c.to_functional_rate,
    c.revenue_functional,
    '{{ reporting }}' as reporting_currency,
    -- 1 when the entity reports in its own currency: no rate needed (the orders behind a
    -- day all had theirs, or were quarantined: int_orders_fx_quarantine)
    {{ rate_or_identity('c.functional_currency', "'" ~ reporting ~ "'", 'rr.rate') }} as fx_rate,
    case when c.functional_currency = '{{ reporting }}' then c.day else rr.published_on end as fx_rate_date,
    {{ to_reporting(
        'c.revenue_functional',
        rate_or_identity('c.functional_currency', "'" ~ reporting ~ "'", 'rr.rate')
    ) }} as revenue_reporting
from converted as c
left join {{ ref('int_fx_rates_daily') }} as rr
    on rr.currency = c.functional_currency and rr.rate_date = c.day

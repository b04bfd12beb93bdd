-- Grain: one row per customer order: a Shopify order, or a Stripe charge that is a sale in
-- itself (a subscription period or a one-off charge). Stripe charges that pay a ledger
-- invoice (metadata qbo_invoice_id / invoice_number, or description "Invoice …") are
-- collections of revenue the ledger already holds, so they are not orders. Amounts in the
-- order's transaction currency, its entity's functional currency and the reporting
-- currency, with the dated rates; tax-exclusive `net_amount` is what revenue counts.
--
-- Every order, converted where it can be: a same-currency leg converts at 1 whatever the
-- rates file holds; `has_fx_rate` is false when a leg between two currencies has no rate
-- that day. The `orders` mart publishes the converted ones; the others go to
-- quarantine_records (int_orders_fx_quarantine) with the missing pair, never a NULL amount.
{%- set reporting = var('reporting_currency') %}
with subscription_invoices as (
    -- the subscription invoice a charge paid (invoice.charge, or metadata.charge)
    select
        coalesce({{ json_str('o.object', '$.charge') }}, {{ json_str('o.object', '$.metadata.charge') }}) as charge_id,
        o.object_id as invoice_id,
        {{ json_str('o.object', '$.billing_reason') }} as billing_reason,
        {{ json_str('o.object', '$.subscription') }} as subscription_id,
        {{ minor_to_amount(json_str('o.object', '$.tax'), json_str('o.object', '$.currency')) }} as tax_amount
    from {{ ref('stg_stripe__objects') }} as o
    where o.object_type = 'invoice'
),

stripe_charges as (
    select
        'stripe:' || c.charge_id as order_key,
        'stripe' as source_system,
        c.charge_id as source_id,
        case
            when coalesce(i.subscription_id, {{ json_str('c.metadata', '$.subscription') }}) is not null
                then 'subscriptions'
            else 'one_off_charges'
        end as channel,
        coalesce(i.invoice_id, c.charge_id) as order_number,
        case when c.customer_id is not null then 'stripe:' || c.customer_id end as customer_key,
        c.customer_id as source_customer_id,
        c.billing_email as customer_email,
        c.billing_name as customer_name,
        c.created_at as ordered_at,
        c.currency,
        c.amount as gross_amount,
        coalesce(i.tax_amount, cast(0 as {{ money_type() }})) as tax_amount,
        cast(0 as {{ money_type() }}) as discount_amount,
        coalesce(i.subscription_id, {{ json_str('c.metadata', '$.subscription') }}) as subscription_id,
        coalesce(i.billing_reason = 'subscription_cycle', false) as is_renewal,
        c.status as financial_status,
        false as is_cancelled,
        c.is_deleted,
        c.raw_key
    from {{ ref('stg_stripe__charges') }} as c
    left join subscription_invoices as i on i.charge_id = c.charge_id
    where
        c.status = 'succeeded'
        and {{ json_str('c.metadata', '$.qbo_invoice_id') }} is null
        and {{ json_str('c.metadata', '$.invoice_number') }} is null
        and coalesce(c.description, '') not like 'Invoice %'
),

shopify_orders as (
    select
        'shopify:' || o.order_id as order_key,
        'shopify' as source_system,
        o.order_id as source_id,
        'online_store' as channel,
        o.order_name as order_number,
        case when o.customer_id is not null then 'shopify:' || o.customer_id end as customer_key,
        o.customer_id as source_customer_id,
        o.customer_email,
        o.customer_name,
        o.processed_at as ordered_at,
        o.currency,
        o.total_amount as gross_amount,
        coalesce(o.tax_amount, cast(0 as {{ money_type() }})) as tax_amount,
        coalesce(o.discount_amount, cast(0 as {{ money_type() }})) as discount_amount,
        cast(null as varchar) as subscription_id,
        false as is_renewal,
        o.financial_status,
        o.is_cancelled,
        o.is_deleted,
        o.raw_key
    from {{ ref('stg_shopify__orders') }} as o
),

unioned as (
    select * from stripe_charges
    union all
    select * from shopify_orders
),

refunds as (
    select
        'stripe:' || charge_id as order_key,
        sum(amount) as refunded_amount,
        max(created_at) as last_refunded_at
    from {{ ref('stg_stripe__refunds') }}
    where coalesce(status, 'succeeded') in ('succeeded', 'pending')
    group by charge_id
    union all
    select
        'shopify:' || order_id as order_key,
        sum(amount) as refunded_amount,
        max(processed_at) as last_refunded_at
    from {{ ref('stg_shopify__refunds') }}
    group by order_id
),

typed as (
    select
        u.*,
        cast(u.ordered_at as date) as order_date,
        u.gross_amount - u.tax_amount as net_amount,
        coalesce(r.refunded_amount, cast(0 as {{ money_type() }})) as refunded_amount,
        r.last_refunded_at,
        se.entity_id,
        le.functional_currency
    from unioned as u
    left join refunds as r using (order_key)
    left join {{ ref('source_entities') }} as se on se.source_system = u.source_system
    left join {{ ref('legal_entities') }} as le on le.entity_id = se.entity_id
)

select
    t.order_key,
    t.entity_id,
    t.channel,
    t.order_number,
    t.customer_key,
    t.source_customer_id,
    t.customer_email,
    t.customer_name,
    t.ordered_at,
    t.order_date,
    t.subscription_id,
    t.is_renewal,
    t.financial_status,
    t.is_cancelled,
    t.is_deleted,
    -- transaction currency
    t.currency,
    t.gross_amount,
    t.tax_amount,
    t.discount_amount,
    t.net_amount,
    t.refunded_amount,
    -- functional currency (the entity's), at the order day's rate (1 within one currency)
    t.functional_currency,
    {{ rate_or_identity('t.currency', 't.functional_currency', 'fr.rate') }} as to_functional_rate,
    case
        when t.currency = t.functional_currency then t.net_amount
        else {{ convert('t.net_amount', 'fr.rate', 't.functional_currency') }}
    end as net_amount_functional,
    -- reporting currency, at the same day's rate (1 when the entity reports in it)
    '{{ reporting }}' as reporting_currency,
    {{ rate_or_identity('t.functional_currency', "'" ~ reporting ~ "'", 'rr.rate') }} as fx_rate,
    case when t.functional_currency = '{{ reporting }}' then t.order_date else rr.published_on end as fx_rate_date,
    {{ to_reporting(
        'case when t.currency = t.functional_currency then t.net_amount else '
        ~ convert('t.net_amount', 'fr.rate', 't.functional_currency') ~ ' end',
        rate_or_identity('t.functional_currency', "'" ~ reporting ~ "'", 'rr.rate')
    ) }} as net_amount_reporting,
    (t.currency = t.functional_currency or fr.rate is not null)
    and (t.functional_currency = '{{ reporting }}' or rr.rate is not null) as has_fx_rate,
    t.source_system,
    t.source_id,
    t.raw_key
from typed as t
left join {{ ref('int_fx_pair_rates_daily') }} as fr
    on fr.base_currency = t.currency and fr.quote_currency = t.functional_currency and fr.rate_date = t.order_date
left join {{ ref('int_fx_rates_daily') }} as rr
    on rr.currency = t.functional_currency and rr.rate_date = t.order_date

-- Grain: one row per customer order: a Shopify order, or a Stripe charge that is a sale in
-- itself (a subscription period or a one-off charge). Stripe charges that pay a ledger
-- invoice are collections of revenue the ledger already holds, so they are not orders.
-- Amounts in the order's transaction currency, its entity's functional currency and the
-- reporting currency, with the dated rates; tax-exclusive `net_amount` is what revenue
-- counts. Built in int_orders; an order whose currency has no rate that day is not
-- published here but in quarantine_records (reason "no fx rate"), so no amount is NULL.
-- (columns listed, not `* exclude (has_fx_rate)`: that is DuckDB-only)
select
    order_key,
    entity_id,
    channel,
    order_number,
    customer_key,
    source_customer_id,
    customer_email,
    customer_name,
    ordered_at,
    order_date,
    subscription_id,
    is_renewal,
    financial_status,
    is_cancelled,
    is_deleted,
    currency,
    gross_amount,
    tax_amount,
    discount_amount,
    net_amount,
    refunded_amount,
    functional_currency,
    to_functional_rate,
    net_amount_functional,
    reporting_currency,
    fx_rate,
    fx_rate_date,
    net_amount_reporting,
    source_system,
    source_id,
    raw_key
from {{ ref('int_orders') }}
where has_fx_rate

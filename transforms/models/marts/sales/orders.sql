-- Grain: one row per customer order: a Shopify order, or a Stripe charge that is a sale in
-- itself (a subscription period or a one-off charge). Stripe charges that pay a ledger
-- invoice are collections of revenue the ledger already holds, so they are not orders.
-- Amounts in the order's transaction currency, its entity's functional currency and the
-- reporting currency, with the dated rates; tax-exclusive `net_amount` is what revenue
-- counts. Built in int_orders; an order whose currency has no rate that day is not
-- published here but in quarantine_records (reason "no fx rate"), so no amount is NULL.
select * exclude (has_fx_rate)
from {{ ref('int_orders') }}
where has_fx_rate

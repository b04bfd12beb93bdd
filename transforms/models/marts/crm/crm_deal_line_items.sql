-- Grain: one row per HubSpot line item on a deal (not deleted): what was sold on the deal
-- (product, sku, quantity, unit price, amount), in quote order. Write-back invoices a won
-- deal with these lines; a deal without line items is invoiced as one line of its amount.
select
    li.line_item_id,
    li.deal_id,
    d.entity_id,
    li.quote_position,
    li.line_item_name,
    li.sku,
    li.product_id,
    li.description,
    li.quantity,
    li.unit_price,
    li.amount,
    coalesce(li.currency, d.currency) as currency,
    li.updated_at,
    li.source_system,
    li.source_id,
    li.raw_key
from {{ ref('stg_hubspot__line_items') }} as li
inner join {{ ref('crm_deals') }} as d
    on li.deal_id = d.deal_id
where not li.is_deleted

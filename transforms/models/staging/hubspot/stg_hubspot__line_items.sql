-- One row per HubSpot line item (a product quoted on a deal), latest by its own updatedAt
-- (hs_lastmodifieddate), with the deal it belongs to. Polls land CRM search pages of
-- line items ({results: [...]}) and, beside each, the v4 associations answer naming each
-- line item's deal ({results: [{from: {id}, to: [{toObjectId, ...}]}]}): search answers
-- carry no associations. A line item belongs to at most one deal.
with raw as {{ inline_cte() }} (
    select * from {{ source('hubspot', 'line_items') }}
),

raw_links as {{ inline_cte() }} (
    select * from {{ source('hubspot', 'line_item_deals') }}
),

records as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('hubspot', 'raw.envelope') }} as tenant_id,
        raw.item as line_item
    from {{ json_each_row('raw', 'raw', 'payload', '$.results', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('line_item', '$.id') }}, '') as line_item_id,
        {{ json_str('line_item', '$.properties.name') }} as line_item_name,
        nullif({{ json_str('line_item', '$.properties.hs_sku') }}, '') as sku,
        nullif({{ json_str('line_item', '$.properties.hs_product_id') }}, '') as product_id,
        nullif({{ json_str('line_item', '$.properties.description') }}, '') as description,
        {{ to_amount(json_str('line_item', '$.properties.quantity')) }} as quantity,
        {{ to_amount(json_str('line_item', '$.properties.price')) }} as unit_price,
        {{ to_amount(json_str('line_item', '$.properties.amount')) }} as amount,
        upper({{ json_str('line_item', '$.properties.hs_line_item_currency_code') }}) as currency,
        cast({{ json_str('line_item', '$.properties.hs_position_on_quote') }} as integer) as quote_position,
        {%- set modified = json_str('line_item', '$.properties.hs_lastmodifieddate') %}
        {{ iso_to_utc('coalesce(' ~ json_str('line_item', '$.updatedAt') ~ ', ' ~ modified ~ ')') }} as updated_at,
        coalesce(cast({{ json_str('line_item', '$.archived') }} as boolean), false) as is_deleted,
        raw_key,
        received_at
    from records
),

latest as (
    {{ dedupe(
        'select * from renamed where line_item_id is not null',
        'tenant_id, line_item_id',
        'updated_at desc nulls last, received_at desc, raw_key desc'
    ) }}
),

links as (
    select
        {{ tenant_id('hubspot', 'raw_links.envelope') }} as tenant_id,
        {{ json_str('raw_links.item', '$.from.id') }} as line_item_id,
        {{ json_str('raw_links.item', '$.to[0].toObjectId') }} as deal_id,
        raw_links.received_at,
        raw_links.raw_key
    from {{ json_each_row('raw_links', 'raw_links', 'payload', '$.results', 'item') }}
),

latest_links as (
    {{ dedupe(
        'select * from links where deal_id is not null', 'tenant_id, line_item_id', 'received_at desc, raw_key desc'
    ) }}
)

select
    latest.tenant_id,
    latest.line_item_id,
    latest_links.deal_id,
    latest.line_item_name,
    latest.sku,
    latest.product_id,
    latest.description,
    latest.quantity,
    latest.unit_price,
    latest.amount,
    latest.currency,
    latest.quote_position,
    latest.updated_at,
    latest.is_deleted,
    'hubspot' as source_system,
    latest.line_item_id as source_id,
    latest.raw_key
from latest
left join latest_links
    on latest.tenant_id = latest_links.tenant_id and latest.line_item_id = latest_links.line_item_id

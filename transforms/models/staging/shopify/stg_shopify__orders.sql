-- One row per Shopify order, latest by the order's own updated_at. Webhooks carry the
-- REST order JSON (topics orders/create|updated|paid|cancelled|delete); polls carry an
-- Admin GraphQL `orders` connection page, whose ids are GIDs (gid://shopify/Order/123)
-- and money is in *Set bags. Both are mapped to the same columns; orders/delete flags
-- a delete (its payload holds only the id). Keyed by (shop, order id); an order without
-- an id is in stg_shopify__quarantine instead.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'orders') }}
),

rest as (
    select
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        nullif({{ json_str('payload', '$.id') }}, '') as order_id,
        {{ json_str('payload', '$.name') }} as order_name,
        {{ json_str('payload', '$.customer.id') }} as customer_id,
        lower(
            coalesce({{ json_str('payload', '$.customer.email') }}, {{ json_str('payload', '$.email') }})
        ) as customer_email,
        trim(
            coalesce(
                {{ json_str('payload', '$.customer.first_name') }},
                ''
            ) || ' ' || coalesce({{ json_str('payload', '$.customer.last_name') }}, '')
        ) as customer_name,
        upper({{ json_str('payload', '$.currency') }}) as currency,
        {{ json_str('payload', '$.total_price') }} as total_price,
        {{ json_str('payload', '$.subtotal_price') }} as subtotal_price,
        {{ json_str('payload', '$.total_tax') }} as total_tax,
        {{ json_str('payload', '$.total_discounts') }} as total_discounts,
        {{ json_str('payload', '$.financial_status') }} as financial_status,
        {{ json_str('payload', '$.source_name') }} as channel,
        {{ json_str('payload', '$.created_at') }} as created_at_text,
        {{ json_str('payload', '$.processed_at') }} as processed_at_text,
        {{ json_str('payload', '$.updated_at') }} as updated_at_text,
        {{ json_str('payload', '$.cancelled_at') }} as cancelled_at_text,
        coalesce(
            {{ json_str('envelope', '$.headers.x-shopify-topic') }},
            {{ json_str('envelope', '$.extra.topic') }}
        ) = 'orders/delete' as is_deleted,
        raw_key,
        received_at
    from raw
    where arrival = 'webhook'
),

graphql_nodes as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('shopify', 'raw.envelope') }} as tenant_id,
        {{ json_get('edge', '$.node') }} as node
    from {{ json_each_row('raw', 'raw', 'payload', '$.data.orders.edges', 'edge', where="raw.arrival <> 'webhook'") }}
),

graphql as (
    select
        tenant_id,
        nullif(
            coalesce(
                {{ json_str('node', '$.legacyResourceId') }},
                regexp_replace({{ json_str('node', '$.id') }}, '^.*/', '')
            ),
            ''
        ) as order_id,
        {{ json_str('node', '$.name') }} as order_name,
        regexp_replace({{ json_str('node', '$.customer.id') }}, '^.*/', '') as customer_id,
        lower(
            coalesce({{ json_str('node', '$.customer.email') }}, {{ json_str('node', '$.email') }})
        ) as customer_email,
        coalesce(
            {{ json_str('node', '$.customer.displayName') }},
            trim(
                coalesce(
                    {{ json_str('node', '$.customer.firstName') }},
                    ''
                ) || ' ' || coalesce({{ json_str('node', '$.customer.lastName') }}, '')
            )
        ) as customer_name,
        upper(
            coalesce(
                {{ json_str('node', '$.currencyCode') }},
                {{ json_str('node', '$.totalPriceSet.shopMoney.currencyCode') }}
            )
        ) as currency,
        {{ json_str('node', '$.totalPriceSet.shopMoney.amount') }} as total_price,
        {{ json_str('node', '$.subtotalPriceSet.shopMoney.amount') }} as subtotal_price,
        {{ json_str('node', '$.totalTaxSet.shopMoney.amount') }} as total_tax,
        {{ json_str('node', '$.totalDiscountsSet.shopMoney.amount') }} as total_discounts,
        lower({{ json_str('node', '$.displayFinancialStatus') }}) as financial_status,
        {{ json_str('node', '$.sourceName') }} as channel,
        {{ json_str('node', '$.createdAt') }} as created_at_text,
        {{ json_str('node', '$.processedAt') }} as processed_at_text,
        {{ json_str('node', '$.updatedAt') }} as updated_at_text,
        {{ json_str('node', '$.cancelledAt') }} as cancelled_at_text,
        false as is_deleted,
        raw_key,
        received_at
    from graphql_nodes
),

unioned as (
    select * from rest
    union all
    select * from graphql
),

typed as (
    select
        tenant_id,
        order_id,
        order_name,
        nullif(customer_id, '') as customer_id,
        customer_email,
        nullif(customer_name, '') as customer_name,
        currency,
        {{ to_amount('total_price') }} as total_amount,
        {{ to_amount('subtotal_price') }} as subtotal_amount,
        {{ to_amount('total_tax') }} as tax_amount,
        {{ to_amount('total_discounts') }} as discount_amount,
        financial_status,
        coalesce(channel, 'web') as channel,
        {{ iso_to_utc('created_at_text') }} as created_at,
        {{ iso_to_utc('coalesce(processed_at_text, created_at_text)') }} as processed_at,
        {{ iso_to_utc('updated_at_text') }} as updated_at,
        {{ iso_to_utc('cancelled_at_text') }} as cancelled_at,
        cancelled_at_text is not null as is_cancelled,
        is_deleted,
        'shopify' as source_system,
        order_id as source_id,
        raw_key,
        received_at
    from unioned
    where order_id is not null
),

-- A delete carries no fields: it wins, and the order's last full version supplies them.
deletes as (
    select distinct
        tenant_id,
        order_id
    from typed
    where is_deleted
),

latest as (
    {{ dedupe(
        'select * from typed where not is_deleted',
        'tenant_id, order_id',
        'updated_at desc nulls last, received_at desc, raw_key desc'
    ) }}
)

-- (columns listed, not `* exclude (...)`: that is DuckDB-only and the project stays portable)
select
    latest.tenant_id,
    latest.order_id,
    latest.order_name,
    latest.customer_id,
    latest.customer_email,
    latest.customer_name,
    latest.currency,
    latest.total_amount,
    latest.subtotal_amount,
    latest.tax_amount,
    latest.discount_amount,
    latest.financial_status,
    latest.channel,
    latest.created_at,
    latest.processed_at,
    latest.updated_at,
    latest.cancelled_at,
    latest.is_cancelled,
    latest.source_system,
    latest.source_id,
    latest.raw_key,
    deletes.order_id is not null as is_deleted
from latest
left join deletes using (tenant_id, order_id)

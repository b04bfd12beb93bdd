-- Shopify records that cannot be staged: orders, refunds (standalone or embedded in an
-- order), payouts and balance transactions without an id, and polled pages without the
-- list they should carry. Unioned into marts/ops/quarantine_records.
with orders_raw as {{ inline_cte() }} (
    select * from {{ raw_objects('shopify', 'orders') }}
),

nodes as (
    select
        raw.raw_key,
        raw.envelope,
        {{ json_get('edge', '$.node') }} as node
    from {{ json_each_row(
        'orders_raw',
        'raw',
        'payload',
        '$.data.orders.edges',
        'edge',
        where="raw.arrival <> 'webhook'"
    ) }}
),

embedded_refunds as (
    select
        o.raw_key,
        o.envelope,
        o.item as refund
    from {{ json_each_row('orders_raw', 'o', 'payload', '$.refunds', 'item', where="o.arrival = 'webhook'") }}
),

{%- set lists = [('payouts', '$.payouts'), ('balance_transactions', '$.transactions')] %}
{%- for entity, path in lists %}

    {{ entity }}_items as (
        select
            raw.raw_key,
            raw.envelope,
            raw.item
        from {{ json_each_row(raw_objects('shopify', entity), 'raw', 'payload', path, 'item') }}
    ),
{%- endfor %}

found as (
    select
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        'orders' as entity,
        raw_key,
        'no id: an order webhook without its id' as reason,
        payload as content
    from orders_raw
    where arrival = 'webhook' and nullif({{ json_str('payload', '$.id') }}, '') is null
    union all
    select
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        'orders' as entity,
        raw_key,
        'no id: a polled order without its id' as reason,
        node as content
    from nodes
    where nullif(coalesce({{ json_str('node', '$.legacyResourceId') }}, {{ json_str('node', '$.id') }}), '') is null
    union all
    select
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        'refunds' as entity,
        raw_key,
        'no id: a refund embedded in an order without its id' as reason,
        refund as content
    from embedded_refunds
    where nullif({{ json_str('refund', '$.id') }}, '') is null
    union all
    select
        {{ tenant_id('shopify', 'envelope') }} as tenant_id,
        'refunds' as entity,
        raw_key,
        'no id: a refund webhook without its id' as reason,
        payload as content
    from {{ raw_objects('shopify', 'refunds') }}
    where nullif({{ json_str('payload', '$.id') }}, '') is null
    {%- for entity, path in lists %}
        union all
        select
            {{ tenant_id('shopify', 'envelope') }},
            '{{ entity }}',
            raw_key,
            'no id: a {{ entity }} item without its id',
            item
        from {{ entity }}_items
        where nullif({{ json_str('item', '$.id') }}, '') is null
    {%- endfor %}
)

select distinct
    {{ quarantine_columns('shopify', 'tenant_id', 'entity', 'null', 'raw_key', 'reason', 'content') }}
from found
union all
{{ quarantine_wrong_shape('shopify', 'orders', '$.data.orders.edges', where="arrival <> 'webhook'") }}
{%- for entity, path in lists %}
    union all
    {{ quarantine_wrong_shape('shopify', entity, path) }}
{%- endfor %}

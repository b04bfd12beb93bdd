-- Subscriptions with their recurring amount per month (the MRR input): the sum over
-- items of unit_amount × quantity, normalised from the price's interval to a month.
with objects as (
    select * from {{ ref('stg_stripe__objects') }}
    where object_type = 'subscription'
),

items as (
    select
        o.tenant_id,
        o.object_id as subscription_id,
        {{ json_str('item', '$.price.currency') }} as currency,
        try_cast({{ json_str('item', '$.price.unit_amount') }} as bigint)
        * coalesce(try_cast({{ json_str('item', '$.quantity') }} as bigint), 1) as item_minor,
        {{ json_str('item', '$.price.recurring.interval') }} as price_interval,
        coalesce(try_cast({{ json_str('item', '$.price.recurring.interval_count') }} as integer), 1) as interval_count
    from {{ json_each_row('objects', 'o', 'object', '$.items.data', 'item') }}
),

monthly as (
    select
        tenant_id,
        subscription_id,
        upper(min(currency)) as currency,
        sum(
            {{ divide_money(
                minor_to_amount('item_minor', 'currency') ~ " * case price_interval when 'week' then 52 else 1 end",
                "case price_interval when 'year' then 12 when 'week' then 12 else 1 end * interval_count"
            ) }}
        ) as mrr_raw
    from items
    group by tenant_id, subscription_id
)

select
    o.tenant_id,
    o.object_id as subscription_id,
    {{ json_str('o.object', '$.customer') }} as customer_id,
    {{ json_str('o.object', '$.status') }} as status,
    m.currency,
    {{ round_to_currency('cast(m.mrr_raw as decimal(38, 6))', 'm.currency') }} as monthly_amount,
    {{ from_unix_seconds(json_str('o.object', '$.start_date')) }} as started_at,
    {{ from_unix_seconds(json_str('o.object', '$.canceled_at')) }} as canceled_at,
    {{ from_unix_seconds(json_str('o.object', '$.ended_at')) }} as ended_at,
    {{ from_unix_seconds(json_str('o.object', '$.created')) }} as created_at,
    o.is_deleted,
    o.source_system,
    o.object_id as source_id,
    o.event_id as source_event_id,
    o.raw_key
from objects as o
left join monthly as m on m.tenant_id = o.tenant_id and m.subscription_id = o.object_id

-- One row per Stripe balance transaction, from /v1/balance_transactions list pages.
-- Pages fetched with `payout=po_…` tell which payout settles each transaction; the
-- request is kept in the envelope (extra.request), so the link is read from there.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('stripe', 'balance_transactions') }}
),

items as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('stripe', 'raw.envelope') }} as tenant_id,
        raw.item,
        coalesce(
            {{ json_str('raw.envelope', '$.extra.request.params.payout') }},
            {{ json_str('raw.envelope', '$.extra.request.payout') }},
            {{ json_str('raw.envelope', '$.extra.payout') }}
        ) as page_payout_id
    from {{ json_each_row('raw', 'raw', 'payload', '$.data', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('item', '$.id') }}, '') as balance_transaction_id,
        {{ json_str('item', '$.type') }} as transaction_type,
        {{ json_str('item', '$.reporting_category') }} as reporting_category,
        {{ json_str('item', '$.source') }} as source_object_id,
        upper({{ json_str('item', '$.currency') }}) as currency,
        {{ minor_to_amount(json_str('item', '$.amount'), json_str('item', '$.currency')) }} as amount,
        {{ minor_to_amount(json_str('item', '$.fee'), json_str('item', '$.currency')) }} as fee,
        {{ minor_to_amount(json_str('item', '$.net'), json_str('item', '$.currency')) }} as net,
        {{ json_str('item', '$.status') }} as status,
        {{ json_str('item', '$.description') }} as description,
        {{ from_unix_seconds(json_str('item', '$.created')) }} as created_at,
        {{ from_unix_seconds(json_str('item', '$.available_on')) }} as available_on,
        page_payout_id,
        'stripe' as source_system,
        {{ json_str('item', '$.id') }} as source_id,
        raw_key,
        received_at
    from items
),

-- A transaction seen on a payout= page and on a date page: keep its payout link from
-- whichever page had it, and the newest version of the rest.
payout_links as (
    select
        tenant_id,
        balance_transaction_id,
        max(page_payout_id) as payout_id
    from renamed
    group by tenant_id, balance_transaction_id
),

latest as (
    {{ dedupe(
        'select * from renamed where balance_transaction_id is not null',
        'tenant_id, balance_transaction_id',
        'received_at desc, raw_key desc'
    ) }}
)

select
    latest.tenant_id,
    latest.balance_transaction_id,
    latest.transaction_type,
    latest.reporting_category,
    latest.source_object_id,
    -- A payout's own transaction settles itself (type payout, source po_…).
    coalesce(
        payout_links.payout_id,
        case when latest.transaction_type = 'payout' then latest.source_object_id end
    ) as payout_id,
    latest.currency,
    latest.amount,
    latest.fee,
    latest.net,
    latest.status,
    latest.description,
    latest.created_at,
    latest.available_on,
    latest.source_system,
    latest.source_id,
    latest.raw_key
from latest
left join payout_links using (tenant_id, balance_transaction_id)

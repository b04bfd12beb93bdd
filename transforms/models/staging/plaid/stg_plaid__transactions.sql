-- One row per Plaid transaction from /transactions/sync pages (polled or hydrated).
-- Plaid gives no update stamp: the newest page wins (modified over added), and a
-- transaction listed in any page's `removed` is flagged deleted (Plaid never reuses
-- transaction ids; a pending transaction that posts is removed and re-added under a
-- new id). Plaid's sign: positive amount = money out; `amount` here is money in,
-- positive = inflow, as every ledgerlake bank line.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('plaid', 'transactions_sync') }}
),

changed as (
    select
        raw.raw_key,
        raw.received_at,
        {{ tenant_id('plaid', 'raw.envelope') }} as tenant_id,
        0 as section_rank,
        raw.item as txn
    from {{ json_each_row('raw', 'raw', 'payload', '$.added', 'item') }}
    union all
    select raw.raw_key, raw.received_at, {{ tenant_id('plaid', 'raw.envelope') }}, 1 as section_rank, item as txn
    from {{ json_each_row('raw', 'raw', 'payload', '$.modified', 'item') }}
),

removed as (
    select distinct {{ json_str('item', '$.transaction_id') }} as transaction_id
    from {{ json_each_row('raw', 'raw', 'payload', '$.removed', 'item') }}
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('txn', '$.transaction_id') }}, '') as transaction_id,
        {{ json_str('txn', '$.account_id') }} as account_id,
        try_cast({{ json_str('txn', '$.date') }} as date) as transaction_date,
        try_cast({{ json_str('txn', '$.authorized_date') }} as date) as authorized_date,
        {{ json_str('txn', '$.name') }} as description,
        {{ json_str('txn', '$.merchant_name') }} as merchant_name,
        upper(
            coalesce({{ json_str('txn', '$.iso_currency_code') }}, {{ json_str('txn', '$.unofficial_currency_code') }})
        ) as currency,
        {{ to_amount(json_str('txn', '$.amount')) }} as plaid_amount,
        -{{ to_amount(json_str('txn', '$.amount')) }} as amount,
        coalesce(try_cast({{ json_str('txn', '$.pending') }} as boolean), false) as is_pending,
        {{ json_str('txn', '$.payment_channel') }} as payment_channel,
        {{ json_str('txn', '$.personal_finance_category.primary') }} as category,
        {{ json_str('txn', '$.transaction_code') }} as transaction_code,
        {{ json_str('txn', '$.counterparties[0].name') }} as counterparty_name,
        {{ json_str('txn', '$.payment_meta.reference_number') }} as reference_number,
        'plaid' as source_system,
        {{ json_str('txn', '$.transaction_id') }} as source_id,
        raw_key,
        received_at,
        section_rank
    from changed
),

latest as (
    {{ dedupe(
        'select * from renamed where transaction_id is not null',
        'tenant_id, transaction_id',
        'received_at desc, section_rank desc, raw_key desc'
    ) }}
)

select
    latest.tenant_id,
    latest.transaction_id,
    latest.account_id,
    latest.transaction_date,
    latest.authorized_date,
    latest.description,
    latest.merchant_name,
    latest.currency,
    latest.plaid_amount,
    latest.amount,
    latest.is_pending,
    latest.payment_channel,
    latest.category,
    latest.transaction_code,
    removed.transaction_id is not null as is_deleted,
    latest.source_system,
    latest.source_id,
    latest.raw_key,
    latest.counterparty_name,
    latest.reference_number
from latest
left join removed using (transaction_id)

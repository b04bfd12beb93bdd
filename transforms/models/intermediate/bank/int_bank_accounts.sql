-- One row per bank-feed (Plaid) account, linked to the ledger bank account that books it.
-- Link rule (no configuration needed for the common cases): same currency, and either
-- the Xero bank account number ends with the feed's mask, or the ledger account's name
-- equals the feed account's name or carries its mask ("Chase Operating", "Checking 4417").
-- An account with no match keeps a NULL ledger link (and a NULL entity).
-- `implied_opening_balance`: the feed's balance before its first transaction, i.e. the
-- latest reported current balance minus every posted transaction in the lake.
with feed as (
    select * from {{ ref('stg_plaid__accounts') }}
),

ledger as (
    select
        a.account_key,
        a.entity_id,
        a.source_system as ledger_source,
        a.source_account_id,
        a.account_code,
        a.account_name,
        a.currency,
        x.bank_account_number
    from {{ ref('int_ledger_accounts') }} as a
    left join {{ ref('stg_xero__accounts') }} as x
        on x.account_id = case when a.source_system = 'xero' then a.source_account_id end
    where a.is_bank and not a.is_deleted
),

candidates as (
    select
        f.account_id,
        l.*,
        case
            when
                l.bank_account_number is not null and f.mask is not null
                and right(l.bank_account_number, length(f.mask)) = f.mask then 1
            when lower(l.account_name) = lower(f.account_name) then 2
            when f.mask is not null and l.account_name like '%' || f.mask || '%' then 3
        end as link_rank
    from feed as f
    join ledger as l on l.currency = f.currency
),

best as (
    {{ dedupe('select * from candidates where link_rank is not null', 'account_id', 'link_rank, account_key') }}
),

posted as (
    select
        account_id,
        sum(case when not is_deleted and not is_pending then amount else 0 end) as posted_total,
        -- the feed's first day: its earliest transaction, pending ones (later removed) included
        min(least(transaction_date, coalesce(authorized_date, transaction_date))) as first_transaction_on,
        max(transaction_date) as last_transaction_on
    from {{ ref('stg_plaid__transactions') }}
    group by account_id
)

select
    f.account_id as bank_account_id,
    b.entity_id,
    b.account_key as ledger_account_key,
    b.ledger_source,
    b.source_account_id as ledger_account_id,
    b.account_code as ledger_account_code,
    f.account_name,
    f.official_name,
    f.mask,
    f.currency,
    f.current_balance,
    f.current_balance - coalesce(p.posted_total, 0) as implied_opening_balance,
    p.first_transaction_on,
    p.last_transaction_on,
    f.source_system,
    f.source_id,
    f.raw_key
from feed as f
left join best as b on b.account_id = f.account_id
left join posted as p on p.account_id = f.account_id

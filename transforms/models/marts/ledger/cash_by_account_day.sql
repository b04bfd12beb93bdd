-- Grain: one row per bank account (bank feed, linked to its ledger account) and calendar
-- day, from the first day of the bank feed to its last: the bank's closing posted balance
-- that day (pending transactions excluded, as banks report "current"), in the account's
-- currency, beside the ledger's book balance of the linked account. The bank balance is
-- the cash truth; the difference to the book is what reconciliation explains
-- (integrity_unreconciled_bank_lines).
with accounts as (
    select * from {{ ref('int_bank_accounts') }}
),

posted as (
    select
        account_id as bank_account_id,
        transaction_date as day,
        sum(amount) as net
    from {{ ref('stg_plaid__transactions') }}
    where not is_deleted and not is_pending
    group by 1, 2
),

bounds as (
    select
        min(first_transaction_on) as first_day,
        max(last_transaction_on) as last_day
    from accounts
),

grid as (
    select
        a.bank_account_id,
        s.day
    from accounts as a
    cross join bounds
    cross join {{ date_spine('bounds.first_day', 'bounds.last_day') }} as s
),

book as (
    select
        account_key,
        posted_on,
        sum(functional_amount) as net
    from {{ ref('general_ledger') }}
    where is_bank
    group by 1, 2
),

daily as (
    select
        g.bank_account_id,
        g.day,
        coalesce(p.net, 0) as net_change,
        coalesce(b.net, 0) as book_net_change
    from grid as g
    join accounts as a using (bank_account_id)
    left join posted as p on p.bank_account_id = g.bank_account_id and p.day = g.day
    left join book as b on b.account_key = a.ledger_account_key and b.posted_on = g.day
),

book_opening as (
    -- book movements before the feed starts (opening balances entered earlier)
    select
        a.bank_account_id,
        sum(b.net) as amount
    from accounts as a
    cross join bounds
    join book as b on b.account_key = a.ledger_account_key and b.posted_on < bounds.first_day
    group by 1
)

select
    d.bank_account_id || ':' || cast(d.day as varchar) as cash_key,
    a.entity_id,
    coalesce(a.ledger_account_key, 'plaid:' || d.bank_account_id) as account_key,
    d.bank_account_id,
    a.ledger_account_key,
    a.account_name,
    a.mask,
    a.currency,
    d.day as balance_date,
    d.net_change,
    a.implied_opening_balance
    + sum(d.net_change)
        over (partition by d.bank_account_id order by d.day rows between unbounded preceding and current row)
        as balance,
    case
        when a.ledger_account_key is not null
            then
                coalesce(bo.amount, 0)
                + sum(d.book_net_change) over (
                    partition by d.bank_account_id order by d.day rows between unbounded preceding and current row
                )
    end as book_balance,
    a.source_system,
    a.source_id,
    a.raw_key
from daily as d
join accounts as a using (bank_account_id)
left join book_opening as bo using (bank_account_id)

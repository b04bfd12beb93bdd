-- Grain: one row per bank account (ledger account of type Bank) and calendar day from its
-- first posting to the last day with any posting: the closing book balance that day, in
-- the account's currency, accrual = cash here (bank accounts only move with cash).
with daily as (
    select entity_id, account_key, posted_on, sum(functional_amount) as net
    from {{ ref('general_ledger') }}
    where is_bank
    group by entity_id, account_key, posted_on
),

bounds as (
    select account_key, min(posted_on) as first_day from daily group by account_key
),

last_day as (
    select max(posted_on) as last_day from {{ ref('general_ledger') }}
),

grid as (
    select b.account_key, s.day
    from bounds as b
    cross join last_day
    cross join {{ date_spine('(select min(first_day) from bounds)', 'last_day.last_day') }} as s
    where s.day >= b.first_day
)

select
    g.account_key || ':' || cast(g.day as varchar) as cash_key,
    a.entity_id,
    g.account_key,
    a.source_account_id as account_id,
    a.account_code,
    a.account_name,
    a.currency,
    g.day as balance_date,
    coalesce(d.net, 0) as net_change,
    sum(coalesce(d.net, 0)) over (partition by g.account_key order by g.day rows between unbounded preceding and current row) as balance
from grid as g
join {{ ref('int_ledger_accounts') }} as a on a.account_key = g.account_key
left join daily as d on d.account_key = g.account_key and d.posted_on = g.day

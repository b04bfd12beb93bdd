-- Grain: one row per entity, account and calendar month: the month's net movement and the
-- closing balance (debit-positive) in functional currency. Balance-sheet accounts carry
-- their balance forward; P&L accounts reset each fiscal year in the balance sheet's
-- retained earnings, not here.
with movements as (
    select
        entity_id,
        account_key,
        period_month,
        sum(functional_amount) as net_movement
    from {{ ref('general_ledger') }}
    group by entity_id, account_key, period_month
),

months as (
    select distinct
        entity_id,
        period_month
    from {{ ref('general_ledger') }}
),

accounts as (
    select distinct
        entity_id,
        account_key
    from {{ ref('general_ledger') }}
),

grid as (
    select
        m.entity_id,
        a.account_key,
        m.period_month
    from months as m join accounts as a using (entity_id)
)

select
    g.entity_id || ':' || g.account_key || ':' || cast(g.period_month as varchar) as trial_balance_key,
    g.entity_id,
    g.account_key,
    acc.account_code,
    acc.account_name,
    acc.account_class,
    g.period_month,
    coalesce(mv.net_movement, 0) as net_movement,
    sum(coalesce(mv.net_movement, 0)) over (
        partition by g.entity_id, g.account_key order by g.period_month rows between unbounded preceding and current row
    ) as closing_balance,
    acc.currency
from grid as g
left join movements as mv using (entity_id, account_key, period_month)
left join {{ ref('int_ledger_accounts') }} as acc on acc.entity_id = g.entity_id and acc.account_key = g.account_key

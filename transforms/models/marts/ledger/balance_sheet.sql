-- Grain: one row per entity and month end: total assets, liabilities, equity and the
-- profit and loss accumulated to date (current earnings), in functional currency, with
-- the natural sign (assets debit-positive; the other sides credit-positive).
with tb as (
    select
        entity_id,
        period_month,
        account_class,
        sum(closing_balance) as balance,
        max(currency) as currency
    from {{ ref('trial_balance') }}
    group by entity_id, period_month, account_class
)

select
    entity_id || ':' || cast(period_month as varchar) as balance_sheet_key,
    entity_id,
    {{ month_end('period_month') }} as month_end,
    max(currency) as currency,
    sum(case when account_class = 'asset' then balance else 0 end) as total_assets,
    -sum(case when account_class = 'liability' then balance else 0 end) as total_liabilities,
    -sum(case when account_class = 'equity' then balance else 0 end) as total_equity,
    -sum(case when account_class in ('revenue', 'expense') then balance else 0 end) as earnings_to_date,
    sum(case when account_class = 'asset' then balance else 0 end)
    + sum(case when account_class in ('liability', 'equity', 'revenue', 'expense') then balance else 0 end) as imbalance
from tb
group by entity_id, period_month

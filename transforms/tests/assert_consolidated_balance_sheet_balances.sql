-- Integrity (always on): the group's translated balance sheet balances at every month end
-- (assets = liabilities + equity + earnings to date + CTA, after eliminations).
select * from {{ ref('consolidated_balance_sheet') }}
where imbalance != 0

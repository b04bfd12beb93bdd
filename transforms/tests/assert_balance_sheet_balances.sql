-- Integrity (always on): assets = liabilities + equity + earnings to date, every month end.
select * from {{ ref('balance_sheet') }}
where imbalance != 0

-- Grain: one row per month end of the group's balance sheet, in the reporting currency:
-- assets and liabilities at the closing rate, equity at historical rates, earnings to date at
-- the months' average rates, the cumulative translation adjustment (CTA, in equity), each as
-- the sum over entities less intercompany eliminations; assets = liabilities + equity +
-- earnings + CTA (tested: `imbalance` is 0).
with lines as (
    select
        month_end,
        max(reporting_currency) as currency,
        sum(case when line = 'assets' then reporting_amount - eliminated_amount else 0 end) as total_assets,
        sum(case when line = 'liabilities' then reporting_amount - eliminated_amount else 0 end) as total_liabilities,
        sum(case when line = 'equity' then reporting_amount - eliminated_amount else 0 end) as total_equity,
        sum(case when line = 'earnings' then reporting_amount - eliminated_amount else 0 end) as earnings_to_date,
        sum(case when line = 'cta' then reporting_amount - eliminated_amount else 0 end) as translation_adjustment,
        sum(case when line = 'assets' then eliminated_amount else 0 end) as eliminated_assets,
        sum(case when line = 'liabilities' then eliminated_amount else 0 end) as eliminated_liabilities,
        count(distinct entity_id) as entities
    from {{ ref('int_consolidation_lines') }}
    where statement = 'balance_sheet'
    group by month_end
)

select
    cast(month_end as varchar) as consolidated_balance_sheet_key,
    month_end,
    currency,
    total_assets,
    total_liabilities,
    total_equity,
    earnings_to_date,
    translation_adjustment,
    eliminated_assets,
    eliminated_liabilities,
    entities,
    total_assets - total_liabilities - total_equity - earnings_to_date - translation_adjustment as imbalance
from lines

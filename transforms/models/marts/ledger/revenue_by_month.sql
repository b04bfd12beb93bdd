-- Grain: one row per entity and calendar month: operating revenue (credits minus debits on
-- revenue accounts of the ledger's own revenue types: QBO Income, Xero REVENUE/SALES),
-- accrual basis, in functional currency and in reporting currency.
select
    entity_id || ':' || cast(period_month as varchar) as revenue_key,
    entity_id,
    period_month,
    functional_currency as currency,
    -sum(functional_amount) as revenue,
    -sum(reporting_amount) as revenue_reporting,
    max(reporting_currency) as reporting_currency
from {{ ref('general_ledger') }}
where is_operating_revenue
group by entity_id, period_month, functional_currency

-- One row per calendar day and currency: the rate into the reporting currency, carried
-- forward from the latest published rate on or before that day (weekends, holidays).
-- The reporting currency itself has rate 1. (The carry-forward lives in
-- int_fx_pair_rates_daily; this is its reporting-currency slice.)
{%- set reporting = var('reporting_currency') %}
select
    base_currency || ':' || cast(rate_date as varchar) as fx_key,
    rate_date,
    base_currency as currency,
    quote_currency as reporting_currency,
    rate,
    published_on
from {{ ref('int_fx_pair_rates_daily') }}
where quote_currency = '{{ reporting }}'

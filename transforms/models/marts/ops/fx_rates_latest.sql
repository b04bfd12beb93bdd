-- One row per currency converted into the reporting currency: its newest published rate
-- (the ECB feed or the override file), for the FX staleness alert and for analysts asking
-- "how current are our rates?".
{%- set reporting = var('reporting_currency') %}
with into_reporting as (
    select
        rate_date,
        base_currency,
        quote_currency,
        rate,
        rate_source
    from {{ ref('stg_reference__fx_rates') }}
    where quote_currency = '{{ reporting }}'
),

latest as (
    {{ dedupe('select * from into_reporting', 'base_currency', 'rate_date desc') }}
)

select
    base_currency as currency,
    quote_currency as reporting_currency,
    rate_date as latest_rate_date,
    rate,
    rate_source,
    {{ days_between('rate_date', 'current_date') }} as calendar_days_old
from latest

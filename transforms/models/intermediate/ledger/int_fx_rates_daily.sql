-- One row per calendar day and currency: the rate into the reporting currency, carried
-- forward from the latest published rate on or before that day (weekends, holidays).
-- The reporting currency itself has rate 1.
{%- set reporting = var('reporting_currency') %}
with rates as (
    select rate_date, base_currency as currency, rate
    from {{ ref('stg_reference__fx_rates') }}
    where quote_currency = '{{ reporting }}'
),

bounds as (
    select min(rate_date) as first_day, greatest(max(rate_date), current_date) as last_day from rates
),

currencies as (
    select distinct currency from rates
),

grid as (
    select s.day as rate_date, c.currency
    from bounds
    cross join {{ date_spine('bounds.first_day', 'bounds.last_day') }} as s
    cross join currencies as c
),

filled as (
    select
        g.rate_date,
        g.currency,
        last_value(r.rate ignore nulls) over (
            partition by g.currency order by g.rate_date rows between unbounded preceding and current row
        ) as rate,
        last_value(r.rate_date ignore nulls) over (
            partition by g.currency order by g.rate_date rows between unbounded preceding and current row
        ) as published_on
    from grid as g
    left join rates as r on r.currency = g.currency and r.rate_date = g.rate_date
)

select currency || ':' || cast(rate_date as varchar) as fx_key, rate_date, currency, '{{ reporting }}' as reporting_currency, rate, published_on
from filled
union all
select '{{ reporting }}:' || cast(s.day as varchar), s.day, '{{ reporting }}', '{{ reporting }}', cast(1 as decimal(38, 10)), s.day
from bounds cross join {{ date_spine('bounds.first_day', 'bounds.last_day') }} as s

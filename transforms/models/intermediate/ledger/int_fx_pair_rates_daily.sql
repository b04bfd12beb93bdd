-- One row per calendar day and currency pair of the reference file (plus each currency
-- into itself at 1): the rate converting 1 unit of base into quote, carried forward from
-- the latest published rate on or before that day (weekends, holidays). Cross rates are
-- never derived by division: the reference file carries every pair it is used for.
with rates as (
    select
        rate_date,
        base_currency,
        quote_currency,
        rate
    from {{ ref('stg_reference__fx_rates') }}
),

bounds as (
    select
        min(rate_date) as first_day,
        greatest(max(rate_date), current_date) as last_day
    from rates
),

pairs as (
    select distinct
        base_currency,
        quote_currency
    from rates
    union
    select distinct
        base_currency,
        base_currency as quote_currency
    from rates
    union
    select distinct
        quote_currency as base_currency,
        quote_currency
    from rates
),

grid as (
    select
        s.day as rate_date,
        p.base_currency,
        p.quote_currency
    from bounds
    cross join {{ date_spine('bounds.first_day', 'bounds.last_day') }} as s
    cross join pairs as p
),

filled as (
    select
        g.rate_date,
        g.base_currency,
        g.quote_currency,
        case
            when g.base_currency = g.quote_currency then cast(1 as decimal(38, 10)) else
                {{ last_value_ignore_nulls('r.rate') }} over (
                    partition by g.base_currency, g.quote_currency
                    order by g.rate_date rows between unbounded preceding and current row
                )
        end as rate,
        case
            when g.base_currency = g.quote_currency then g.rate_date else
                {{ last_value_ignore_nulls('r.rate_date') }} over (
                    partition by g.base_currency, g.quote_currency
                    order by g.rate_date rows between unbounded preceding and current row
                )
        end as published_on
    from grid as g
    left join rates as r
        on r.base_currency = g.base_currency and r.quote_currency = g.quote_currency and r.rate_date = g.rate_date
)

select
    base_currency || ':' || quote_currency || ':' || cast(rate_date as varchar) as fx_pair_key,
    rate_date,
    base_currency,
    quote_currency,
    rate,
    published_on
from filled

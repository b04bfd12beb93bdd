-- One row per functional currency of a legal entity and calendar month: the rates its
-- statements translate into the reporting currency at. `average_rate`: the mean of the
-- month's ECB publication-day rates (the P&L; computed exactly: a sum of integers divided
-- once, half-even to 10 places); `closing_rate`: the rate on the month end, carried forward
-- from the last publication (assets and liabilities). The reporting currency itself is 1.
{%- set reporting = var('reporting_currency') %}
with currencies as (
    select distinct functional_currency as currency from {{ ref('legal_entities') }}
),

published as (
    select
        r.currency,
        cast({{ dbt.date_trunc('month', 'r.rate_date') }} as date) as period_month,
        count(*) as days,
        sum(cast(r.rate * 10000000000 as decimal(38, 0))) as rate_sum_e10
    from {{ ref('int_fx_rates_daily') }} as r
    where r.rate_date = r.published_on
    group by r.currency, cast({{ dbt.date_trunc('month', 'r.rate_date') }} as date)
),

closing as (
    select
        r.currency,
        r.rate_date as month_end,
        r.rate,
        r.published_on
    from {{ ref('int_fx_rates_daily') }} as r
    where r.rate_date = cast({{ dbt.last_day('r.rate_date', 'month') }} as date)
)

select
    p.currency || ':' || cast(p.period_month as varchar) as consolidation_rate_key,
    p.currency,
    '{{ reporting }}' as reporting_currency,
    p.period_month,
    cast({{ dbt.last_day('p.period_month', 'month') }} as date) as month_end,
    p.days as publication_days,
    {{ rate_or_identity('p.currency', "'" ~ reporting ~ "'",
                        fx_cross_rate(
                            'cast(p.days * 10000000000 as decimal(38, 0))',
                            'p.rate_sum_e10'
                        )) }} as average_rate,
    {{ rate_or_identity('p.currency', "'" ~ reporting ~ "'", 'c.rate') }} as closing_rate,
    c.published_on as closing_rate_date
from published as p
inner join currencies as cur on cur.currency = p.currency
left join closing as c
    on c.currency = p.currency and c.month_end = cast({{ dbt.last_day('p.period_month', 'month') }} as date)

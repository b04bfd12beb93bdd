-- Grain: one row per HubSpot deal and calendar day, from the day it was created to the day
-- it closed (won or lost) or the last day in the lake: the deal as it stood at the end of
-- that day (pipeline, stage, probability, amount, weighted value, expected close date).
-- Reconstructed from what the lake holds: every landed version of the deal (polls,
-- hydrations) and every deal.propertyChange webhook (dealstage, amount, closedate,
-- pipeline), each property taking its latest value stamped on or before the day's end.
-- A change seen by neither (a stage skipped between two polls with its webhook lost) is
-- dated at the next version that shows it. Deleted deals are left out.
{%- set props = ['dealstage', 'amount', 'closedate', 'pipeline'] %}
with deals as (
    select * from {{ ref('crm_deals') }}
),

versions as (
    select v.* from {{ ref('stg_hubspot__deal_versions') }} as v
    join deals using (deal_id)
),

changes as (
    -- (deal, property, when, value) from versions and from propertyChange webhooks
    select
        deal_id,
        'dealstage' as property_name,
        updated_at as changed_at,
        stage_id as value,
        0 as priority
    from versions
    union all
    select
        deal_id,
        'amount' as property_name,
        updated_at as changed_at,
        cast(amount as varchar) as value,
        0 as priority
    from versions
    union all
    select
        deal_id,
        'closedate' as property_name,
        updated_at as changed_at,
        cast(close_at as varchar) as value,
        0 as priority
    from versions
    union all
    select
        deal_id,
        'pipeline' as property_name,
        updated_at as changed_at,
        pipeline_id as value,
        0 as priority
    from versions
    union all
    select
        n.object_id as deal_id,
        n.property_name,
        n.occurred_at as changed_at,
        n.property_value as value,
        1 as priority
    from {{ ref('stg_hubspot__notifications') }} as n
    join deals as d on d.deal_id = n.object_id
    where
        n.subscription_type = 'deal.propertyChange'
        and n.property_name in ('dealstage', 'amount', 'closedate', 'pipeline')
),

last_day as (
    select cast(max(changed_at) as date) as last_day from changes
),

stages as (
    select * from {{ ref('stg_hubspot__pipeline_stages') }}
),

stage_changes as (
    select
        c.deal_id,
        c.changed_at,
        s.is_closed
    from changes as c
    join deals as d using (deal_id)
    left join stages as s on s.stage_id = c.value and s.pipeline_id = d.pipeline_id
    where c.property_name = 'dealstage'
),

spans as (
    select
        d.deal_id,
        cast(d.created_at as date) as first_day,
        coalesce(cast(min(case when sc.is_closed then sc.changed_at end) as date), max(l.last_day)) as end_day
    from deals as d
    cross join last_day as l
    left join stage_changes as sc using (deal_id)
    group by d.deal_id, cast(d.created_at as date)
),

grid as (
    select
        sp.deal_id,
        s.day
    from spans as sp
    cross join last_day as l
    cross join {{ date_spine('(select min(first_day) from spans)', 'l.last_day') }} as s
    where s.day between sp.first_day and sp.end_day
),

{%- for p in props %}

    {{ p }}_stamped as (
        select
            g.deal_id,
            g.day,
            c.value,
            c.changed_at,
            c.priority
        from grid as g
        join changes as c
            on
                c.deal_id = g.deal_id and c.property_name = '{{ p }}'
                and c.changed_at < cast({{ add_days('g.day', 1) }} as timestamp)
    ),

    {{ p }}_value as (
    -- the latest value stamped before the day's end; at equal stamps the webhook's (the newer word)
        {{ dedupe('select * from ' ~ p ~ '_stamped', 'deal_id, day', 'changed_at desc, priority desc, value') }}
    ),
{%- endfor %}

-- a deal in a currency only one entity keeps belongs to that entity
currency_entities as (
    select
        functional_currency,
        min(entity_id) as entity_id
    from {{ ref('legal_entities') }}
    group by functional_currency
    having count(*) = 1
),

states as (
    select
        g.deal_id,
        g.day,
        coalesce(pl.value, d.pipeline_id) as pipeline_id,
        st.value as stage_id,
        {{ to_amount('am.value') }} as amount,
        -- HubSpot webhooks send datetime properties as epoch milliseconds, the API as ISO-8601
        case
            when cd.value not like '%-%' then {{ from_unix_seconds('cast(cd.value as bigint) / 1000') }}
            else {{ iso_to_utc('cd.value') }}
        end as close_at
    from grid as g
    join deals as d using (deal_id)
    left join dealstage_value as st on st.deal_id = g.deal_id and st.day = g.day
    left join amount_value as am on am.deal_id = g.deal_id and am.day = g.day
    left join closedate_value as cd on cd.deal_id = g.deal_id and cd.day = g.day
    left join pipeline_value as pl on pl.deal_id = g.deal_id and pl.day = g.day
)

select
    s.deal_id || ':' || cast(s.day as varchar) as snapshot_key,
    s.day as snapshot_date,
    s.deal_id,
    d.deal_name,
    coalesce(pe.entity_id, ce.entity_id) as entity_id,
    s.pipeline_id,
    ps.pipeline_label,
    s.stage_id,
    ps.stage_label,
    coalesce(ps.probability, 0) as probability,
    coalesce(ps.is_closed, false) as is_closed,
    coalesce(ps.is_won, false) as is_won,
    s.amount,
    d.currency,
    cast(s.amount * coalesce(ps.probability, 0) as {{ money_type() }}) as weighted_amount,
    cast(s.close_at as date) as expected_close_date,
    d.source_system,
    d.source_id,
    d.raw_key
from states as s
join deals as d using (deal_id)
left join stages as ps on ps.pipeline_id = s.pipeline_id and ps.stage_id = s.stage_id
left join {{ ref('crm_pipeline_entities') }} as pe on pe.pipeline_id = s.pipeline_id
left join currency_entities as ce on ce.functional_currency = d.currency

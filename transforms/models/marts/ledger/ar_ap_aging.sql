-- Grain: one row per as-of date (every week end, Sunday, and every month end from the
-- first document to the last ledger or bank day), entity, AR/AP, contact, currency and
-- aging bucket (current, 1-30, 31-60, 61-90, 90+ days past due): documents still open at
-- the end of that day and their open amount, in the document currency and the reporting
-- currency at that day's rate. Any other date: the ar_ap_open_items macro (docs/marts.md).
{%- set reporting = var('reporting_currency') %}
with bounds as (
    select
        min(issued_on) as first_day,
        (
            select max(c.date_day) from {{ ref('fiscal_calendar') }} as c
            where c.date_day <= (select max(g.posted_on) from {{ ref('general_ledger') }} as g)
        ) as last_day
    from {{ ref('int_ar_ap_documents') }}
),

as_of_dates as (
    select
        c.date_day as as_of_date,
        c.is_week_end,
        c.is_month_end
    from {{ ref('fiscal_calendar') }} as c
    cross join bounds as b
    where c.date_day between b.first_day and b.last_day and (c.is_week_end or c.is_month_end)
),

open_items as (
    {{ ar_ap_open_items('select as_of_date from as_of_dates') }}
),

bucketed as (
    select
        o.*,
        {{ aging_bucket('o.days_overdue') }} as aging_bucket
    from open_items as o
)

select
    cast(b.as_of_date as varchar) || ':' || b.entity_id || ':' || b.document_kind || ':' || b.contact_key || ':'
    || b.currency || ':' || b.aging_bucket as aging_key,
    b.as_of_date,
    d.is_week_end,
    d.is_month_end,
    b.entity_id,
    b.document_kind,
    b.contact_key,
    max(b.contact_name) as contact_name,
    -- the resolved customer (AR) / vendor (AP): one name per party whatever the spelling
    max(p.party_key) as party_key,
    coalesce(max(p.party_name), max(b.contact_name)) as party_name,
    b.currency,
    b.aging_bucket,
    case b.aging_bucket when 'current' then 1 when '1-30' then 2 when '31-60' then 3 when '61-90' then 4 else 5 end
        as bucket_order,
    count(*) as documents,
    sum(b.open_amount) as open_amount,
    max(b.days_overdue) as max_days_overdue,
    '{{ reporting }}' as reporting_currency,
    max(fx.rate) as fx_rate,
    {{ to_reporting('sum(b.open_amount)', 'max(fx.rate)') }} as open_amount_reporting
from bucketed as b
join as_of_dates as d using (as_of_date)
left join {{ ref('int_fx_rates_daily') }} as fx on fx.currency = b.currency and fx.rate_date = b.as_of_date
left join {{ ref('party_contacts') }} as p
    on p.contact_key = b.contact_key and p.party_kind = case b.document_kind when 'AR' then 'customer' else 'vendor' end
group by
    b.as_of_date, d.is_week_end, d.is_month_end, b.entity_id, b.document_kind, b.contact_key, b.currency, b.aging_bucket

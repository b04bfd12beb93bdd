-- Grain: one row per unified customer (int_contacts.contact_id with a customer role, or a
-- HubSpot company): one name, email and the record id it has in each system, the roles it
-- plays across the group (customer, supplier), its deals and orders. Unification rule:
-- int_contacts (explicit links, normalized organisation name with the alias seed, email).
{%- set reporting = var('reporting_currency') %}
with contacts as (
    select * from {{ ref('int_contacts') }}
    where not is_deleted
),

customers as (
    select contact_id from contacts
    group by contact_id
    having max(case when is_customer or source_system = 'hubspot' then 1 else 0 end) = 1
),

ranked as (
    -- the display name: the CRM's, then the ledgers', then the processors'
    select
        c.*,
        row_number() over (
            partition by c.contact_id order by
                case c.source_system
                    when 'hubspot' then 1 when 'qbo' then 2 when 'xero' then 3 when 'stripe' then 4 else 5
                end,
                c.source_id
        ) as name_rank
    from contacts as c
    join customers using (contact_id)
),

rolled as (
    select
        contact_id,
        max(case when name_rank = 1 then contact_name end) as customer_name,
        min(email) as email,
        max(domain) as domain,
        max(case when is_customer then 1 else 0 end) = 1 as is_customer,
        max(case when is_supplier then 1 else 0 end) = 1 as is_supplier,
        count(*) as source_records,
        count(distinct source_system) as source_systems,
        min(case when source_system = 'hubspot' then source_id end) as hubspot_company_id,
        min(case when source_system = 'qbo' and record_type = 'customer' then source_id end) as qbo_customer_id,
        min(case when source_system = 'xero' then source_id end) as xero_contact_id,
        min(case when source_system = 'stripe' then source_id end) as stripe_customer_id,
        min(case when source_system = 'shopify' then source_id end) as shopify_customer_id,
        count(distinct entity_id) as entities
    from ranked
    group by contact_id
),

deals as (
    select
        c.contact_id,
        count(*) as deals,
        sum(case when d.is_won then 1 else 0 end) as won_deals,
        sum(case when not d.is_closed then 1 else 0 end) as open_deals
    from {{ ref('crm_deals') }} as d
    join contacts as c on c.source_system = 'hubspot' and c.source_id = d.company_id
    group by c.contact_id
),

orders as (
    select
        c.contact_id,
        count(*) as orders,
        sum(o.net_amount_reporting) as order_revenue_reporting,
        min(o.order_date) as first_order_date,
        max(o.order_date) as last_order_date
    from {{ ref('orders') }} as o
    join contacts as c on c.source_system = o.source_system and c.source_id = o.source_customer_id
    where not o.is_cancelled and not o.is_deleted
    group by c.contact_id
)

select
    r.contact_id,
    r.customer_name,
    r.email,
    r.domain,
    r.is_customer,
    r.is_supplier,
    r.source_records,
    r.source_systems,
    r.entities,
    r.hubspot_company_id,
    r.qbo_customer_id,
    r.xero_contact_id,
    r.stripe_customer_id,
    r.shopify_customer_id,
    coalesce(d.deals, 0) as deals,
    coalesce(d.won_deals, 0) as won_deals,
    coalesce(d.open_deals, 0) as open_deals,
    coalesce(o.orders, 0) as orders,
    '{{ reporting }}' as reporting_currency,
    coalesce(o.order_revenue_reporting, 0) as order_revenue_reporting,
    o.first_order_date,
    o.last_order_date
from rolled as r
left join deals as d using (contact_id)
left join orders as o using (contact_id)

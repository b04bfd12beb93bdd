-- One row per contact record of every source (HubSpot company, Stripe customer, Shopify
-- customer, QBO customer / vendor, Xero contact), each with the unified `contact_id` it
-- belongs to and its roles (customer / supplier). Matching rule, first that applies:
--   1 explicit link    a Stripe customer whose metadata names its QBO customer
--                      (qbo_customer_id) or HubSpot company (hubspot_company_id) joins that record
--   2 organisation     ledger contacts and HubSpot companies join on the normalized name
--                      (lower case, punctuation and legal suffixes removed) after the alias
--                      seed (seeds/contact_aliases.csv) maps known variants to one name
--   3 email            a Stripe or Shopify customer whose email is an organisation record's
--                      joins it; otherwise customers with the same email are one contact
--   4 itself           a record with no name or email to match stays on its own
-- The id is the match key (`org:<normalized name>`, `email:<address>`, `<source>:<id>`),
-- so it is stable across builds. Stripe subscribers' free-text `metadata.company` is
-- kept but not matched on (unrelated businesses share names).
with aliases as (
    select
        lower(alias_name) as alias_name,
        canonical_name
    from {{ ref('contact_aliases') }}
),

records as (
    select
        'hubspot' as source_system,
        'company' as record_type,
        company_id as source_id,
        cast(null as varchar) as entity_id,
        company_name as contact_name,
        cast(null as varchar) as email,
        domain,
        false as is_customer_record,
        false as is_supplier_record,
        is_deleted,
        raw_key
    from {{ ref('stg_hubspot__companies') }}
    union all
    -- (a second realm's / Xero org's records: the id qualified by its tenant, so the same
    -- customer id in two realms is two records)
    select
        'qbo' as source_system,
        'customer' as record_type,
        {{ tenant_qualified_id('qbo', 'tenant_id', 'customer_id') }} as source_id,
        'US' as entity_id,
        display_name as contact_name,
        email,
        cast(null as varchar) as domain,
        true as is_customer_record,
        false as is_supplier_record,
        is_deleted,
        raw_key
    from {{ ref('stg_qbo__customers') }}
    union all
    select
        'qbo' as source_system,
        'vendor' as record_type,
        {{ tenant_qualified_id('qbo', 'tenant_id', 'vendor_id') }} as source_id,
        'US' as entity_id,
        display_name as contact_name,
        email,
        cast(null as varchar) as domain,
        false as is_customer_record,
        true as is_supplier_record,
        is_deleted,
        raw_key
    from {{ ref('stg_qbo__vendors') }}
    union all
    select
        'xero' as source_system,
        'contact' as record_type,
        {{ tenant_qualified_id('xero', 'tenant_id', 'contact_id') }} as source_id,
        'UK' as entity_id,
        contact_name,
        email,
        cast(null as varchar) as domain,
        is_customer as is_customer_record,
        is_supplier as is_supplier_record,
        is_deleted,
        raw_key
    from {{ ref('stg_xero__contacts') }}
    union all
    select
        'stripe' as source_system,
        'customer' as record_type,
        customer_id as source_id,
        'US' as entity_id,
        customer_name as contact_name,
        email,
        cast(null as varchar) as domain,
        true as is_customer_record,
        false as is_supplier_record,
        is_deleted,
        raw_key
    from {{ ref('stg_stripe__customers') }}
    union all
    select
        'shopify' as source_system,
        'customer' as record_type,
        customer_id as source_id,
        'UK' as entity_id,
        max(customer_name) as contact_name,
        max(customer_email) as email,
        cast(null as varchar) as domain,
        true as is_customer_record,
        false as is_supplier_record,
        false as is_deleted,
        max(raw_key) as raw_key
    from {{ ref('stg_shopify__orders') }}
    where customer_id is not null
    group by customer_id
),

-- entities of the records that are per entity (seeds/source_entities.csv decides, not the literals above)
placed as (
    select
        r.source_system,
        r.record_type,
        r.source_id,
        coalesce(se.entity_id, r.entity_id) as entity_id,
        r.contact_name,
        nullif(trim(lower(r.email)), '') as email,
        r.domain,
        r.is_customer_record,
        r.is_supplier_record,
        r.is_deleted,
        r.raw_key
    from records as r
    -- left joins put a condition on the left row inside the join key (`case when ... end`):
    -- as a separate `and` it makes DuckDB fall back to a nested loop (DECISIONS.md)
    left join {{ ref('source_entities') }} as se
        on se.source_system = case when r.source_system != 'hubspot' then r.source_system end
),

stripe_links as (
    select
        object_id as customer_id,
        {{ json_str('object', '$.metadata.qbo_customer_id') }} as qbo_customer_id,
        {{ json_str('object', '$.metadata.hubspot_company_id') }} as hubspot_company_id,
        {{ json_str('object', '$.metadata.company') }} as company_hint
    from {{ ref('stg_stripe__objects') }}
    where object_type = 'customer'
),

normalized as (
    select
        p.*,
        nullif({{ normalize_name('coalesce(al.canonical_name, p.contact_name)') }}, '') as normalized_name
    from placed as p
    left join aliases as al on al.alias_name = lower(p.contact_name)
),

organisations as (
    select
        *,
        'org:' || normalized_name as org_key
    from normalized
    where source_system in ('hubspot', 'qbo', 'xero') and normalized_name is not null
),

org_emails as (
    select
        email,
        min(org_key) as org_key
    from organisations
    where email is not null
    group by email
),

keyed as (
    select
        n.*,
        l.company_hint,
        case
            when o.org_key is not null then o.org_key
            when lq.org_key is not null then lq.org_key
            when lh.org_key is not null then lh.org_key
            when oe.org_key is not null then oe.org_key
            when n.email is not null then 'email:' || n.email
            else n.source_system || ':' || n.source_id
        end as contact_id,
        case
            when o.org_key is not null then 'organisation_name'
            when lq.org_key is not null or lh.org_key is not null then 'explicit_link'
            when oe.org_key is not null then 'organisation_email'
            when n.email is not null then 'email'
            else 'own_record'
        end as match_rule
    from normalized as n
    left join organisations as o
        on o.source_system = n.source_system and o.record_type = n.record_type and o.source_id = n.source_id
    left join stripe_links as l on l.customer_id = case when n.source_system = 'stripe' then n.source_id end
    left join organisations as lq
        on lq.source_system = 'qbo' and lq.record_type = 'customer' and lq.source_id = l.qbo_customer_id
    left join organisations as lh
        on lh.source_system = 'hubspot' and lh.source_id = l.hubspot_company_id
    left join org_emails as oe on oe.email = case when n.source_system in ('stripe', 'shopify') then n.email end
),

document_roles as (
    -- ledger contacts that have AR / AP documents are customers / suppliers whatever their flags
    select
        contact_key,
        max(case when document_kind = 'AR' then 1 else 0 end) = 1 as has_ar,
        max(case when document_kind = 'AP' then 1 else 0 end) = 1 as has_ap
    from {{ ref('int_ar_ap_documents') }}
    group by contact_key
),

won as (
    select
        company_id,
        count(*) as won_deals
    from {{ ref('crm_deals') }}
    where is_won
    group by company_id
)

select
    k.source_system || ':' || k.record_type || ':' || k.source_id as contact_record_key,
    k.contact_id,
    k.match_rule,
    k.source_system,
    k.record_type,
    k.source_id,
    k.entity_id,
    k.contact_name,
    k.normalized_name,
    k.email,
    k.domain,
    k.company_hint,
    k.is_customer_record or coalesce(dr.has_ar, false) or coalesce(w.won_deals, 0) > 0 as is_customer,
    k.is_supplier_record or coalesce(dr.has_ap, false) as is_supplier,
    k.is_deleted,
    k.raw_key
from keyed as k
left join document_roles as dr
    -- (the ledger's contact_key: qbo:123, or qbo@<realm>:123 for another realm's)
    on dr.contact_key = case
        when k.source_system in ('qbo', 'xero')
            then
                k.source_system || case
                    when k.source_id like '%/%'
                        then '@' || replace(k.source_id, '/', ':')
                    else ':' || k.source_id
                end
    end
left join won as w on w.company_id = case when k.source_system = 'hubspot' then k.source_id end

-- Grain: one row per ledger contact and role (a QBO customer or vendor, a Xero contact as
-- customer and/or supplier): the party it resolves to. One party per real-world customer or
-- vendor across ledgers and entities: the contact alias seed (seeds/contact_aliases.csv)
-- maps known variants to a canonical name ("AWS", "Amazon.com" → "Amazon Web Services");
-- otherwise vendors by their vendor identity (int_vendor_identities: the one vendor rule,
-- shared with integrity_duplicate_vendors and the alerts). Customers only by name with case
-- and punctuation ignored: "Orchid Dynamics Inc" and "Orchid Dynamics LLC" are separate
-- companies in the CRM, so a legal suffix tells customers apart.
with ledger_contacts as (
    select
        'qbo' as source,
        tenant_id,
        customer_id as contact_id,
        'customer' as party_kind,
        display_name as contact_name,
        source_system,
        source_id,
        raw_key
    from {{ ref('stg_qbo__customers') }}
    union all
    select
        'qbo' as source,
        tenant_id,
        vendor_id as contact_id,
        'vendor' as party_kind,
        display_name as contact_name,
        source_system,
        source_id,
        raw_key
    from {{ ref('stg_qbo__vendors') }}
    union all
    select
        'xero' as source,
        tenant_id,
        contact_id,
        'customer' as party_kind,
        contact_name,
        source_system,
        source_id,
        raw_key
    from {{ ref('stg_xero__contacts') }}
    where is_customer
    union all
    select
        'xero' as source,
        tenant_id,
        contact_id,
        'vendor' as party_kind,
        contact_name,
        source_system,
        source_id,
        raw_key
    from {{ ref('stg_xero__contacts') }}
    where is_supplier
),

contacts as (
    -- the ledger's contact_key (qbo:123, or qbo@<realm>:123 for another realm's) and the
    -- legal entity its tenant keeps books for; a tenant mapped to no entity posts nothing
    -- (its documents are quarantined), so its contacts have no party here either
    select
        case
            when c.source = 'qbo' then {{ ledger_prefix('qbo', 'c.tenant_id') }}
            else {{ ledger_prefix('xero', 'c.tenant_id') }}
        end || ':' || c.contact_id as contact_key,
        t.entity_id,
        c.party_kind,
        c.contact_name,
        c.source_system,
        c.source_id,
        c.raw_key
    from ledger_contacts as c
    join {{ ref('source_tenants') }} as t on t.source_system = c.source and t.tenant_id = c.tenant_id
),

documents as (
    select
        contact_key,
        case document_kind when 'AR' then 'customer' else 'vendor' end as party_kind,
        count(*) as documents
    from {{ ref('int_ar_ap_documents') }}

    group by 1, 2
),

normalized as (
    select
        c.*,
        coalesce(d.documents, 0) as documents,
        al.canonical_name,
        {{ normalize_name('coalesce(al.canonical_name, c.contact_name)') }} as normalized_name
    from contacts as c
    left join documents as d on d.contact_key = c.contact_key and d.party_kind = c.party_kind
    left join {{ ref('contact_aliases') }} as al on lower(al.alias_name) = lower(c.contact_name)
),

identified as (
    select
        n.*,
        v.vendor_key
    from normalized as n
    left join {{ ref('int_vendor_identities') }} as v on v.normalized_name = n.normalized_name
),

keyed as (
    select
        *,
        party_kind || ':' || case
            when party_kind = 'customer'  -- "Orchid Dynamics Inc" and "… LLC" are two companies
                then trim({{ regexp_replace_all('lower(coalesce(canonical_name, contact_name))', '[^a-z0-9]+', ' ') }})
            else coalesce(vendor_key, normalized_name)
        end as party_key
    from identified
    where normalized_name != ''
)

select
    party_kind || ':' || contact_key as party_contact_key,
    contact_key,
    entity_id,
    party_kind,
    contact_name,
    party_key,
    -- the party's one name: the alias seed's canonical name, else the name on most documents
    coalesce(
        max(canonical_name) over (partition by party_key),
        first_value(
            contact_name
        ) over (partition by party_key order by documents desc, length(contact_name), contact_name asc)
    ) as party_name,
    documents,
    source_system,
    source_id,
    raw_key
from keyed

-- Grain: one row per supplier record in a ledger that shares its vendor identity with
-- another supplier record of the same entity under a different name. Identity: the
-- contact alias seed (seeds/contact_aliases.csv) maps known variants to one canonical
-- name; otherwise the vendor identity of int_vendor_identities (the one vendor rule).
with suppliers as (
    select
        'qbo:' || vendor_id as contact_key,
        'US' as entity_id,
        display_name as vendor_name,
        raw_key
    from {{ ref('stg_qbo__vendors') }}
    where not is_deleted
    union all
    select
        'xero:' || contact_id as contact_key,
        'UK' as entity_id,
        contact_name as vendor_name,
        raw_key
    from {{ ref('stg_xero__contacts') }}
    where is_supplier and not is_deleted
),

normalized as (
    select
        s.*,
        {{ normalize_name('coalesce(al.canonical_name, s.vendor_name)') }} as normalized_name
    from suppliers as s
    left join {{ ref('contact_aliases') }} as al on lower(al.alias_name) = lower(s.vendor_name)
),

keyed as (
    select
        n.*,
        coalesce(v.vendor_key, n.normalized_name) as identity_key
    from normalized as n
    left join {{ ref('int_vendor_identities') }} as v on v.normalized_name = n.normalized_name
),

families as (
    select
        entity_id,
        identity_key
    from keyed
    group by entity_id, identity_key
    having count(distinct vendor_name) > 1
)

select
    k.contact_key,
    k.entity_id,
    k.vendor_name,
    k.identity_key,
    k.raw_key
from keyed as k
join families using (entity_id, identity_key)

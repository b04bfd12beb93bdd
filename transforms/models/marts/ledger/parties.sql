-- Grain: one row per party: a real-world customer or vendor, resolved across ledgers,
-- entities and spellings (party_contacts), with its one name and every alias it appears under.
select
    party_key,
    any_value(party_kind) as party_kind,
    any_value(party_name) as party_name,
    list(distinct contact_name order by contact_name) as aliases,
    count(distinct contact_name) as alias_count,
    list(distinct contact_key order by contact_key) as contact_keys,
    list(distinct entity_id order by entity_id) as entities,
    sum(documents) as documents
from {{ ref('party_contacts') }}
group by party_key

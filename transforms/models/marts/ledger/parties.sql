-- Grain: one row per party: a real-world customer or vendor, resolved across ledgers,
-- entities and spellings (party_contacts), with its one name and every alias it appears under.
select
    party_key,
    any_value(party_kind) as party_kind,
    any_value(party_name) as party_name,
    {{ sorted_distinct_list('contact_name') }} as aliases,
    count(distinct contact_name) as alias_count,
    {{ sorted_distinct_list('contact_key') }} as contact_keys,
    {{ sorted_distinct_list('entity_id') }} as entities,
    sum(documents) as documents
from {{ ref('party_contacts') }}
group by party_key

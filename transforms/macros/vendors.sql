{# The vendor rule: its one home (docs/DECISIONS.md "One vendor rule"). Two vendor names are one
   vendor when, after the contact alias seed and normalize_name, they are equal, or one is a
   single word that is the other's first word (4+ letters: "amazon" / "amazon web services")
   or its acronym ("aws" / "amazon web services"). Two multi-word names sharing a first word
   ("delta analytics" / "delta freight") stay two vendors.

   `names` is a relation with a `vendor_name` column, `aliases` the contact alias seed
   (alias_name, canonical_name). The macro emits CTEs to follow the caller's own (`with names
   as (...), {{ vendor_identity_ctes('names', ...) }} select ...`), the last two being
   vendor_name_forms (vendor_name -> normalized_name) and vendor_identities (normalized_name ->
   vendor_key). dbt runs it in int_vendor_identities (the marts: parties, general_ledger,
   integrity_duplicate_vendors); ledgerlake.alerts.vendors renders the same macro and runs it in
   DuckDB over the names of payments read without marts (the simulator's frames). #}
{% macro vendor_identity_ctes(names, aliases) -%}
vendor_name_forms as (
    select distinct
        n.vendor_name,
        {{ normalize_name('coalesce(al.canonical_name, n.vendor_name)') }} as normalized_name
    from {{ names }} as n
    left join {{ aliases }} as al on lower(al.alias_name) = lower(n.vendor_name)
),

vendor_named as (
    select
        normalized_name,
        position(' ' in normalized_name) = 0 as is_one_word,
        split_part(normalized_name, ' ', 1) as first_word,
        {{ initials('normalized_name') }} as acronym
    from (select distinct normalized_name from vendor_name_forms) as f
    where normalized_name != ''
),

vendor_links as (
    -- a one-word name and a longer name it stands for: its first word (4+ letters) or its
    -- acronym (two equality joins, not one join on an "or": thousands of names stay fast)
    select
        w.normalized_name as word,
        m.normalized_name as long_name
    from vendor_named as w
    inner join vendor_named as m on m.first_word = w.normalized_name
    where w.is_one_word and not m.is_one_word and length(w.normalized_name) >= 4
    union
    select
        w.normalized_name as word,
        m.normalized_name as long_name
    from vendor_named as w
    inner join vendor_named as m on m.acronym = w.normalized_name
    where w.is_one_word and not m.is_one_word
),

-- the identity is the alphabetically first word of the linked group, followed word -> long
-- name -> word -> long name ("amazon" and "aws" meet through "amazon web services"); longer
-- chains need a name that links two groups twice over and are not followed
vendor_long_first as (
    select
        long_name,
        min(word) as anchor
    from vendor_links
    group by long_name
),

vendor_word_anchor as (
    select
        l.word,
        min(f.anchor) as anchor
    from vendor_links as l
    inner join vendor_long_first as f on f.long_name = l.long_name
    group by l.word
),

vendor_long_anchor as (
    select
        l.long_name,
        min(a.anchor) as anchor
    from vendor_links as l
    inner join vendor_word_anchor as a on a.word = l.word
    group by l.long_name
),

vendor_identities as (
    select
        n.normalized_name,
        coalesce(wa.anchor, la.anchor, n.normalized_name) as vendor_key
    from vendor_named as n
    left join vendor_word_anchor as wa on wa.word = n.normalized_name
    left join vendor_long_anchor as la on la.long_name = n.normalized_name
)
{%- endmacro %}

-- Grain: one row per normalized vendor name found in any ledger (QBO vendors, Xero suppliers):
-- the vendor identity it belongs to. The one SQL home of the vendor rule that
-- functions/ledgerlake/alerts/vendors.py applies to raw names (same_vendor): two names are one
-- vendor when, after the contact alias seed and normalize_name, they are equal, or one is a
-- single word that is the other's first word (4+ letters: "amazon" / "amazon web services")
-- or its acronym ("aws" / "amazon web services"). Two multi-word names sharing a first word
-- ("delta analytics" / "delta freight") stay two vendors. Typos are matched by the alerts only
-- (docs/DECISIONS.md): a mart that feeds the statements does not merge suppliers on similarity.
with names as (
    select display_name as vendor_name
    from {{ ref('stg_qbo__vendors') }}
    union all
    select contact_name as vendor_name
    from {{ ref('stg_xero__contacts') }}
    where is_supplier
),

normalized as (
    select distinct
        {{ normalize_name('coalesce(al.canonical_name, n.vendor_name)') }} as normalized_name
    from names as n
    left join {{ ref('contact_aliases') }} as al on lower(al.alias_name) = lower(n.vendor_name)
),

named as (
    select
        normalized_name,
        position(' ' in normalized_name) = 0 as is_one_word,
        {{ initials('normalized_name') }} as acronym
    from normalized
    where normalized_name != ''
),

links as (
    -- a one-word name and a longer name it stands for
    select
        w.normalized_name as word,
        m.normalized_name as long_name
    from named as w
    inner join named as m
        on
            w.is_one_word
            and not m.is_one_word
            and (
                (length(w.normalized_name) >= 4 and split_part(m.normalized_name, ' ', 1) = w.normalized_name)
                or w.normalized_name = m.acronym
            )
),

-- the identity is the alphabetically first word of the linked group, followed word -> long
-- name -> word -> long name ("amazon" and "aws" meet through "amazon web services"); longer
-- chains need a name that links two groups twice over and are not followed
long_first as (
    select
        long_name,
        min(word) as anchor
    from links
    group by long_name
),

word_anchor as (
    select
        l.word,
        min(f.anchor) as anchor
    from links as l
    inner join long_first as f on f.long_name = l.long_name
    group by l.word
),

long_anchor as (
    select
        l.long_name,
        min(a.anchor) as anchor
    from links as l
    inner join word_anchor as a on a.word = l.word
    group by l.long_name
)

select
    n.normalized_name,
    coalesce(wa.anchor, la.anchor, n.normalized_name) as vendor_key
from named as n
left join word_anchor as wa on wa.word = n.normalized_name
left join long_anchor as la on la.long_name = n.normalized_name

-- Grain: one row per normalized vendor name found in any ledger (QBO vendors, Xero suppliers):
-- the vendor identity it belongs to. The vendor rule itself is the macro
-- vendor_identity_ctes (macros/vendors.sql), its one home: the alerts run the same macro over
-- payments read without marts. Typos are not matched (docs/DECISIONS.md): a mart that feeds
-- the statements does not merge suppliers on similarity.
with names as (
    select display_name as vendor_name
    from {{ ref('stg_qbo__vendors') }}
    union all
    select contact_name as vendor_name
    from {{ ref('stg_xero__contacts') }}
    where is_supplier
),

{{ vendor_identity_ctes('names', ref('contact_aliases')) }}

select
    normalized_name,
    vendor_key
from vendor_identities

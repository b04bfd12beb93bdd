-- Every Xero record, latest version per (tenant, collection, id) by UpdatedDateUTC. List
-- polls and single-record reads share one shape ({"Invoices": [...]}), so both are read
-- the same way. Typed staging models (stg_xero__invoices, …) read this one. A record
-- without an id cannot be keyed: it is in stg_xero__quarantine instead.
with {{ xero_raw_records() }},

renamed as (
    select
        tenant_id || ':' || collection || ':' || record_id as record_key,
        collection,
        record_id,
        {{ xero_date(json_str('record', '$.UpdatedDateUTC')) }} as updated_at,
        tenant_id,
        record,
        'xero' as source_system,
        raw_key,
        received_at
    from xero_raw_records
    where record_id is not null
)

{{ dedupe(
    'select * from renamed',
    'tenant_id, collection, record_id',
    'updated_at desc nulls last, received_at desc, raw_key desc'
) }}

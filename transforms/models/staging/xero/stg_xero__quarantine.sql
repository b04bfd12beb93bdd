-- Xero records that cannot be staged: an element of a collection without its id (or not
-- an object at all), and objects without the collection array. Unioned into
-- marts/ops/quarantine_records.
with {{ xero_raw_records() }},

no_id as (
    select distinct
        {{ quarantine_columns('xero', 'tenant_id', 'entity', 'null', 'raw_key',
                              "'no id: a ' || collection || ' element without its id'", 'record') }}
    from xero_raw_records
    where record_id is null
)

select * from no_id
{%- for entity, collection, id_field in xero_collections() %}
    union all
    {{ quarantine_wrong_shape('xero', entity, '$.' ~ collection) }}
{%- endfor %}

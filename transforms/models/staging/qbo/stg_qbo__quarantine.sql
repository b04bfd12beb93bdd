-- QuickBooks Online records that cannot be staged: an entity record without its Id, and
-- single-entity reads / CDC pages without the document they should carry. Unioned into
-- marts/ops/quarantine_records.
with {{ qbo_raw_records() }}

select distinct
    {{ quarantine_columns('qbo', 'tenant_id', 'entity', 'null', 'raw_key',
                          "'no id: a ' || entity_type || ' record without its Id'", 'record') }}
from qbo_raw_records
where nullif({{ json_str('record', '$.Id') }}, '') is null
union all
{{ quarantine_wrong_shape('qbo', 'cdc', '$.CDCResponse') }}
{%- for t in qbo_entity_types() %}
    union all
    select distinct
    {{ quarantine_columns('qbo', qbo_tenant('envelope'), "'" ~ (t | lower) ~ "'", 'null', 'raw_key',
                          "'wrong shape: no " ~ t ~ " object in the read'") }}
    from {{ source('qbo', t | lower) }}
    where {{ json_get('payload', '$.' ~ t) }} is null
{%- endfor %}

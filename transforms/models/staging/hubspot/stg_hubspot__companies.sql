-- One row per HubSpot company, latest by updatedAt.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('hubspot', 'companies') }}
),

records as (
    select raw.raw_key, raw.received_at, {{ tenant_id('hubspot', 'raw.envelope') }} as tenant_id, raw.item as company
    from {{ json_each_row('raw', 'raw', 'payload', '$.results', 'item') }}
    union all
    select raw_key, received_at, {{ tenant_id('hubspot', 'envelope') }}, cast(payload as json) as company
    from raw
    where {{ json_str('payload', '$.id') }} is not null
),

renamed as (
    select
        tenant_id,
        nullif({{ json_str('company', '$.id') }}, '') as company_id,
        {{ json_str('company', '$.properties.name') }} as company_name,
        lower({{ json_str('company', '$.properties.domain') }}) as domain,
        {{ json_str('company', '$.properties.country') }} as country,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('company', '$.createdAt') ~ ', '
            ~ json_str('company', '$.properties.createdate') ~ ')'
        ) }} as created_at,
        {{ iso_to_utc(
            'coalesce(' ~ json_str('company', '$.updatedAt') ~ ', '
            ~ json_str('company', '$.properties.hs_lastmodifieddate') ~ ')'
        ) }} as updated_at,
        coalesce(try_cast({{ json_str('company', '$.archived') }} as boolean), false) as is_deleted,
        'hubspot' as source_system,
        {{ json_str('company', '$.id') }} as source_id,
        raw_key,
        received_at
    from records
)

{{ dedupe(
    'select * from renamed where company_id is not null',
    'tenant_id, company_id',
    'updated_at desc nulls last, received_at desc, raw_key desc'
) }}

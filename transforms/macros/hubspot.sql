{#
  Every HubSpot deal in the raw lake, one row per landed copy (`records`: tenant_id, deal
  JSON, raw_key, received_at): polls land CRM search pages ({results: [...]}), hydration
  single GET responses. stg_hubspot__deals keeps the latest of each; stg_hubspot__deal_versions
  every version.
#}
{% macro hubspot_deal_records() %}
raw as {{ inline_cte() }} (
    select * from {{ source('hubspot', 'deals') }}
),

records as (
    select raw.raw_key, raw.received_at, {{ tenant_id('hubspot', 'raw.envelope') }} as tenant_id, item as deal
    from {{ json_each_row('raw', 'raw', 'payload', '$.results', 'item') }}
    union all
    select raw_key, received_at, {{ tenant_id('hubspot', 'envelope') }} as tenant_id, cast(payload as json) as deal
    from raw
    where {{ json_str('payload', '$.id') }} is not null
)
{% endmacro %}

{# A CRM object's created_at / updated_at: the top-level stamps the API returns, else the
   properties webhooks and older payloads carry. #}
{% macro hubspot_created_updated(obj) -%}
    {{ iso_to_utc('coalesce(' ~ json_str(obj, '$.createdAt') ~ ', ' ~ json_str(obj, '$.properties.createdate') ~ ')') }}
        as created_at,
    {{ iso_to_utc(
        'coalesce(' ~ json_str(obj, '$.updatedAt') ~ ', ' ~ json_str(obj, '$.properties.hs_lastmodifieddate') ~ ')'
    ) }} as updated_at
{%- endmacro %}

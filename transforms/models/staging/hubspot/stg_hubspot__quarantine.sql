-- HubSpot records that cannot be staged: deals and companies without an id (in a search
-- page's results or a single read), search pages without `results`, and pipeline stages
-- without their pipeline's or their own id. Unioned into
-- marts/ops/quarantine_records.
{%- set entities = [('deals', 'deal'), ('companies', 'company')] %}
with
{%- for entity, noun in entities %}
    {{ entity }}_found as (
        select
            {{ tenant_id('hubspot', 'raw.envelope') }} as tenant_id,
            '{{ entity }}' as entity,
            raw.raw_key,
            'no id: a {{ noun }} in a search page without its id' as reason,
            raw.item as content
        from {{ json_each_row(raw_objects('hubspot', entity), 'raw', 'payload', '$.results', 'item') }}
        where nullif({{ json_str('item', '$.id') }}, '') is null
        union all
        select
            {{ tenant_id('hubspot', 'envelope') }} as tenant_id,
            '{{ entity }}' as entity,
            raw_key,
            'wrong shape: neither a search page nor a {{ noun }}' as reason,
            null as content
        from {{ raw_objects('hubspot', entity) }}
        where {{ json_get('payload', '$.results') }} is null and nullif({{ json_str('payload', '$.id') }}, '') is null
    ),
{%- endfor %}

pipeline_items as (
    select
        raw.raw_key,
        raw.envelope,
        raw.item as pipeline
    from {{ json_each_row(raw_objects('hubspot', 'pipelines'), 'raw', 'payload', '$.results', 'item') }}
),

pipelines_found as (
    -- a stage is keyed by its pipeline's id and its own: without either it cannot be staged
    select
        {{ tenant_id('hubspot', 'p.envelope') }} as tenant_id,
        'pipelines' as entity,
        p.raw_key,
        'no id: a pipeline stage without its pipeline or stage id' as reason,
        p.stage as content
    from {{ json_each_row('pipeline_items', 'p', 'pipeline', '$.stages', 'stage') }}
    where
        nullif({{ json_str('p.pipeline', '$.id') }}, '') is null
        or nullif({{ json_str('stage', '$.id') }}, '') is null
)

{%- for entity, noun in entities %}

    select distinct
        {{ quarantine_columns('hubspot', 'tenant_id', 'entity', 'null', 'raw_key', 'reason', 'content') }}
    from {{ entity }}_found
    union all
{%- endfor %}
select distinct
    {{ quarantine_columns('hubspot', 'tenant_id', 'entity', 'null', 'raw_key', 'reason', 'content') }}
from pipelines_found

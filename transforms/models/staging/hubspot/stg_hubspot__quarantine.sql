-- HubSpot records that cannot be staged: deals and companies without an id (in a search
-- page's results or a single read), and search pages without `results`. Unioned into
-- marts/ops/quarantine_records.
{%- set entities = [('deals', 'deal'), ('companies', 'company')] %}
with
{%- for entity, noun in entities %}
{{ entity }}_found as (
    select {{ tenant_id('hubspot', 'raw.envelope') }} as tenant_id, '{{ entity }}' as entity, raw.raw_key,
           'no id: a {{ noun }} in a search page without its id' as reason, item as content
    from {{ json_each_row(raw_objects('hubspot', entity), 'raw', 'payload', '$.results', 'item') }}
    where nullif({{ json_str('item', '$.id') }}, '') is null
    union all
    select {{ tenant_id('hubspot', 'envelope') }}, '{{ entity }}', raw_key,
           'wrong shape: neither a search page nor a {{ noun }}', null
    from {{ raw_objects('hubspot', entity) }}
    where {{ json_get('payload', '$.results') }} is null and nullif({{ json_str('payload', '$.id') }}, '') is null
){% if not loop.last %},{% endif %}
{%- endfor %}

{%- for entity, noun in entities %}
select distinct {{ quarantine_columns('hubspot', 'tenant_id', 'entity', 'null', 'raw_key', 'reason', 'content') }}
from {{ entity }}_found
{% if not loop.last %}union all{% endif %}
{%- endfor %}

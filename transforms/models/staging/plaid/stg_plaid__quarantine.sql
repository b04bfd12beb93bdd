-- Plaid records that cannot be staged: transactions (added / modified) and accounts
-- without their id. Unioned into marts/ops/quarantine_records.
with sync_raw as {{ inline_cte() }} (
    select * from {{ source('plaid', 'transactions_sync') }}
),

found as (
    {%- for section in ['added', 'modified'] %}
        select
            {{ tenant_id('plaid', 'raw.envelope') }} as tenant_id,
            'transactions_sync' as entity,
            raw.raw_key,
            'no id: a transaction ({{ section }}) without its transaction_id' as reason,
            raw.item as content
        from {{ json_each_row('sync_raw', 'raw', 'payload', '$.' ~ section, 'item') }}
        where nullif({{ json_str('item', '$.transaction_id') }}, '') is null
        union all
    {%- endfor %}
    {%- for entity in ['accounts', 'transactions_sync'] %}
        select
            {{ tenant_id('plaid', 'raw.envelope') }} as tenant_id,
            '{{ entity }}' as entity,
            raw.raw_key,
            'no id: an account without its account_id' as reason,
            item as content
        from {{ json_each_row(source('plaid', entity), 'raw', 'payload', '$.accounts', 'item') }}
        where nullif({{ json_str('item', '$.account_id') }}, '') is null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select distinct
    {{ quarantine_columns('plaid', 'tenant_id', 'entity', 'null', 'raw_key', 'reason', 'content') }}
from found

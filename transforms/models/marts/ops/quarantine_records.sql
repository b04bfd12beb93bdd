-- Grain: one row per record set aside by this build (quarantine_key): a raw record that
-- could not be staged, or a ledger document that could not be posted, with the reason and
-- the raw object it came from. Every other record built and published; a quarantined
-- record flows again on the first build after its cause is fixed (docs/marts.md).
{%- set parts = ['stg_stripe__quarantine', 'stg_shopify__quarantine', 'stg_hubspot__quarantine',
                 'stg_qbo__quarantine', 'stg_xero__quarantine', 'stg_plaid__quarantine', 'int_journal_quarantine',
                 'int_orders_fx_quarantine'] %}
with found as (
    {%- for part in parts %}
        select
            quarantine_key,
            source_system,
            tenant_id,
            entity,
            source_id,
            raw_key,
            reason,
            {%- set stage = 'ledger' if part == 'int_journal_quarantine'
                else ('sales' if part.startswith('int_') else 'staging') %}
            '{{ stage }}' as stage
        from {{ ref(part) }}{% if not loop.last %}
            union all{% endif %}
    {%- endfor %}
)

select
    f.quarantine_key,
    f.source_system,
    f.tenant_id,
    t.entity_id,
    f.entity,
    f.source_id,
    f.raw_key,
    -- the reason's kind before the colon (no id, wrong shape, unknown account, no fx rate, …)
    split_part(f.reason, ':', 1) as reason_code,
    f.reason,
    f.stage
from found as f
left join {{ ref('source_tenants') }} as t
    on t.source_system = f.source_system and t.tenant_id = f.tenant_id

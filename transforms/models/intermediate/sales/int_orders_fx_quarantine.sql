-- One row per order (int_orders) that cannot be converted: a leg between two currencies
-- with no published rate on the order day. Unioned into quarantine_records; the order
-- flows into `orders` on the first build after the rate arrives (the ECB feed or the
-- hand-uploaded override file).
{%- set reporting = var('reporting_currency') %}
select
    {{ quarantine_columns(
        none,
        "coalesce(t.tenant_id, 'default')",
        "'orders'",
        'o.source_id',
        'o.raw_key',
        "'no fx rate: ' || case when o.to_functional_rate is null then o.currency || '->' || o.functional_currency
                                else o.functional_currency || '->" ~ reporting ~ "' end
            || ' on ' || cast(o.order_date as varchar)",
        source_expr='o.source_system') }}
from {{ ref('int_orders') }} as o
left join {{ ref('source_tenants') }} as t
    on t.source_system = o.source_system and t.entity_id = o.entity_id and t.is_default
where not o.has_fx_rate

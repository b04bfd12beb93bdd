-- One row per class or department a ledger's journal lines can name: QBO Class and
-- Department lists, and Xero tracking options in the category mapped to each
-- (macros/dimensions.sql). int_journal_lines names a line's class and department from here,
-- so a renamed class shows its current name on every line, old documents included.
{%- for dimension, model in [('class', 'stg_qbo__classes'), ('department', 'stg_qbo__departments')] %}
    select
        'qbo' as source_system,
        tenant_id,
        '{{ dimension }}' as dimension,
        {{ dimension }}_id as dimension_id,
        coalesce(fully_qualified_name, {{ dimension }}_name) as dimension_name,
        is_active
    from {{ ref(model) }}
    where not is_deleted

    union all
{% endfor %}

select
    'xero' as source_system,
    tenant_id,
    case
        when {{ xero_is_tracking_category('tracking_category_name', 'department') }} then 'department'
        else 'class'
    end as dimension,
    tracking_option_id as dimension_id,
    tracking_option_name as dimension_name,
    coalesce(tracking_category_status = 'ACTIVE' and tracking_option_status = 'ACTIVE', true) as is_active
from {{ ref('stg_xero__tracking_options') }}
where
    {{ xero_is_tracking_category('tracking_category_name', 'department') }}
    or {{ xero_is_tracking_category('tracking_category_name', 'class') }}

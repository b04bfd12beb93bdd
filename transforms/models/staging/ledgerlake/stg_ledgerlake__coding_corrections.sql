-- One row per human correction of a bank line's GL account (`ledgerlake coding correct`,
-- the dashboard's Reconciliation page): who, when, why, and the suggestion it replaced.
-- Corrections are never rewritten; a later one for the same line supersedes an earlier one
-- (bank_unmatched takes the latest), and the categoriser never overrides them.
with raw as {{ inline_cte() }} (
    select
        raw_key,
        received_at,
        payload
    from {{ source('ledgerlake', 'coding_corrections') }}
),

corrections as (
    select
        {{ json_str('payload', '$.correction_id') }} as correction_id,
        {{ json_str('payload', '$.bank_line_id') }} as bank_line_id,
        {{ json_str('payload', '$.entity_id') }} as entity_id,
        {{ json_str('payload', '$.account_code') }} as account_code,
        {{ json_str('payload', '$.previous_account_code') }} as previous_account_code,
        {%- for label in ['tax_code', 'class_name', 'department_name'] %}
            {{ json_str('payload', '$.' ~ label) }} as {{ label }},
        {%- endfor %}
        {{ json_str('payload', '$.by') }} as corrected_by,
        try_cast({{ json_str('payload', '$.at') }} as timestamp) as corrected_at,
        {{ json_str('payload', '$.note') }} as note,
        raw_key
    from raw
)

-- a correction landed again (a replay) counts once: it is never rewritten
{{ dedupe('select * from corrections', 'correction_id', 'raw_key') }}

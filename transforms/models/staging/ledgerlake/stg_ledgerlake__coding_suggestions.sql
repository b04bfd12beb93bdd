-- One row per (categoriser run, bank line) suggestion: the GL account ledgerlake's
-- categoriser proposed for a bank line no ledger document explains, with its confidence
-- and whether it was auto-applied (at or above the entity's threshold) or sent to review.
-- Each run lands one object (raw/source=ledgerlake/entity=coding_suggestions).
with raw as {{ inline_cte() }} (
    select
        raw_key,
        received_at,
        payload
    from {{ source('ledgerlake', 'coding_suggestions') }}
),

items as (
    select
        raw.raw_key,
        {{ json_str('raw.payload', '$.run_id') }} as run_id,
        try_cast({{ json_str('raw.payload', '$.suggested_at') }} as timestamp) as suggested_at,
        raw.item
    from {{ json_each_row('raw', 'raw', 'payload', '$.suggestions', 'item') }}
),

suggestions as (
    select
        run_id || ':' || {{ json_str('item', '$.bank_line_id') }} as suggestion_key,
        run_id,
        suggested_at,
        {{ json_str('item', '$.bank_line_id') }} as bank_line_id,
        {{ json_str('item', '$.entity_id') }} as entity_id,
        {{ json_str('item', '$.account_code') }} as account_code,
        try_cast({{ json_str('item', '$.confidence') }} as decimal(6, 4)) as confidence,
        {{ json_str('item', '$.method') }} as method,
        {{ json_str('item', '$.status') }} as status,
        try_cast({{ json_str('item', '$.threshold') }} as decimal(6, 4)) as threshold,
        {%- for label in ['tax_code', 'class_name', 'department_name'] %}
            {{ json_str('item', '$.' ~ label) }} as {{ label }},
            try_cast({{ json_str('item', '$.' ~ label ~ '_confidence') }} as decimal(6, 4)) as {{ label }}_confidence,
            {{ json_str('item', '$.' ~ label ~ '_status') }} as {{ label }}_status,
        {%- endfor %}
        raw_key
    from items
)

-- a run's object landed again (a replay, a re-poll) counts once
{{ dedupe('select * from suggestions', 'suggestion_key', 'raw_key') }}

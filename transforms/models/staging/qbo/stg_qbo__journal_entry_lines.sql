-- One row per line of a QBO JournalEntry (detail lines only; subtotal lines are skipped).
with lines as (
    select r.record_id as journal_entry_id, r.realm_id, r.is_deleted, r.is_voided, r.raw_key, line
    from {{ json_each_row(ref('stg_qbo__records'), 'r', 'record', '$.Line', 'line', where="r.entity_type = 'JournalEntry'") }}
)

select
    journal_entry_id || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as journal_entry_line_id,
    journal_entry_id,
    realm_id,
    realm_id as tenant_id,
    coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
    {{ json_str('line', '$.Description') }} as description,
    {{ to_amount(json_str('line', '$.Amount')) }} as amount,
    {{ json_str('line', '$.JournalEntryLineDetail.PostingType') }} as posting_type,
    coalesce(
        {{ json_str('line', '$.JournalEntryLineDetail.AccountRef.value') }},
        {{ json_str('line', '$.JournalEntryLineDetail.ItemAccountRef.value') }}
    ) as account_id,
    {{ json_str('line', '$.JournalEntryLineDetail.ItemRef.value') }} as item_id,
    coalesce({{ json_str('line', '$.JournalEntryLineDetail.Entity.EntityRef.value') }},
             {{ json_str('line', '$.JournalEntryLineDetail.CustomerRef.value') }},
             {{ json_str('line', '$.JournalEntryLineDetail.Entity.value') }}) as party_id,
    is_deleted,
    is_voided,
    'qbo' as source_system,
    raw_key
from lines
where {{ json_str('line', '$.DetailType') }} = 'JournalEntryLineDetail'

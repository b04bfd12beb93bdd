-- One row per line of a Xero manual journal (LineAmount: debit positive, credit negative).
with source as (
    {{ xero_source('ManualJournals') }}
),

journals as (
    select
        record_id as manual_journal_id,
        tenant_id,
        raw_key,
        source_system,
        record,
        {{ json_str('record', '$.Status') }} as status
    from source
),

lines as (
    select
        j.*,
        row_number() over (
            partition by j.tenant_id, j.manual_journal_id order by j.raw_key, cast(j.line as varchar)
        ) as line_number
    from {{ json_each_row('journals', 'j', 'record', '$.JournalLines', 'line') }}
),

renamed as (
    select
        manual_journal_id || ':' || cast(line_number as varchar) as manual_journal_line_id,
        manual_journal_id,
        tenant_id,
        cast({{ xero_date(json_str('record', '$.Date')) }} as date) as journal_date,
        {{ json_str('record', '$.Narration') }} as narration,
        status,
        {{ json_str('line', '$.AccountCode') }} as account_code,
        {{ json_str('line', '$.Description') }} as description,
        {{ to_amount(json_str('line', '$.LineAmount')) }} as line_amount,
        status in ('VOIDED', 'DELETED') as is_voided_or_deleted,
        source_system,
        raw_key
    from lines
)

select * from renamed

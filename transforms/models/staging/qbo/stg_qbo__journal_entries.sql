-- One row per QBO JournalEntry (latest version; deletes and voids flagged).
with source as (
    {{ qbo_source('JournalEntry') }}
),

renamed as (
    select
        record_id as journal_entry_id,
        {{ qbo_payment_header('party_id', '$.EntityRef.value', '$.EntityRef.value') }},
        {{ qbo_lineage() }}
    from source
)

select * from renamed

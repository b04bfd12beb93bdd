-- QBO journal entries: as entered (a Credit posting is negative).
select
    'qbo' as source_system,
    j.tenant_id,
    'JournalEntry' as document_type,
    l.journal_entry_id as document_id,
    j.doc_number,
    j.txn_date as posted_on,
    l.line_id,
    l.account_id as source_account_id,
    case when l.posting_type = 'Credit' then -l.amount else l.amount end as amount,
    l.party_id as contact_id,
    l.description,
    j.currency as doc_currency,
    {{ qbo_exchange_rate('j.exchange_rate') }} as exchange_rate,
    -- a journal line's own class and department, else the entry's
    {{- line_or_header_dimensions('l', 'j') }}
    l.raw_key
from {{ ref('stg_qbo__journal_entry_lines') }} as l
inner join {{ ref('stg_qbo__journal_entries') }} as j
    on j.tenant_id = l.tenant_id and j.journal_entry_id = l.journal_entry_id
where not j.is_deleted and not j.is_voided

-- Xero manual journals, POSTED only: as entered (LineAmount is already debit-positive).
-- A manual journal names no currency: it is in the organisation's base currency.
select
    'xero' as source_system,
    l.tenant_id,
    'ManualJournal' as document_type,
    l.manual_journal_id as document_id,
    cast(null as varchar) as doc_number,
    l.journal_date as posted_on,
    l.manual_journal_line_id as line_id,
    coalesce(a.source_account_id, 'code ' || l.account_code) as source_account_id,
    l.line_amount as amount,
    cast(null as varchar) as contact_id,
    coalesce(l.description, l.narration) as description,
    cast(null as varchar) as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    {{- dimension_columns('l') }}
    l.raw_key
from {{ ref('stg_xero__manual_journal_lines') }} as l
left join {{ ref('int_ledger_accounts') }} as a
    on a.source_system = 'xero' and a.tenant_id = l.tenant_id and a.account_code = l.account_code
where l.status = 'POSTED'

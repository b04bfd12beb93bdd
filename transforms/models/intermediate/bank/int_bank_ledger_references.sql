-- One row per (ledger bank line, reference a bank line may quote for it): the document's
-- own number, the numbers of the invoices / bills a payment settles, and a payout's id as
-- the bank prints it (Stripe's without `po_`). Only references a bank descriptor can carry
-- unambiguously: at least four characters, one of them a digit.
with ledger as (
    select * from {{ ref('int_bank_ledger_lines') }}
),

candidates as (
    select
        ledger_line_id,
        account_key,
        doc_number as reference
    from ledger
    union all
    select
        l.ledger_line_id,
        l.account_key,
        d.document_number
    from ledger as l
    inner join {{ ref('int_allocations') }} as a
        on
            a.payment_type = l.document_type and a.payment_id = l.document_id
            and a.allocation_key like l.source_system || ':%'
    inner join {{ ref('int_ar_ap_documents') }} as d on d.document_key = a.document_key
    union all
    select
        l.ledger_line_id,
        l.account_key,
        replace(p.payout_id, 'po_', '') as reference
    from ledger as l
    inner join {{ ref('int_payouts') }} as p on p.payout_key = l.payout_key
)

select distinct
    ledger_line_id,
    account_key,
    upper(trim(reference)) as reference
from candidates
where
    length(trim(reference)) >= 4
    and length(translate(reference, '0123456789', '')) < length(reference)

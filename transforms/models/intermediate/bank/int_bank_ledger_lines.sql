-- One row per ledger journal line on a ledger bank account that has a bank feed, from the
-- feed's first day: the ledger side of reconciliation (a payment, deposit, transfer,
-- direct expense or journal touching the bank). `payout_key` names the processor payout a
-- deposit books (its description names the payout), so a bank deposit that matches the
-- deposit is traced to the payout and through it to the charges it settles.
with accounts as (
    select * from {{ ref('int_bank_accounts') }}
    where ledger_account_key is not null
),

fed_accounts as (
    select distinct ledger_account_key from accounts
),

feed_start as (
    select min(first_transaction_on) as first_day from accounts
),

lines as (
    select g.*
    from {{ ref('general_ledger') }} as g
    inner join fed_accounts as a on a.ledger_account_key = g.account_key
    cross join feed_start as f
    where g.is_bank and g.posted_on >= f.first_day
),

payouts as (
    select
        l.journal_line_id,
        min(p.payout_key) as payout_key
    from lines as l
    inner join {{ ref('int_payouts') }} as p
        on l.description like '%' || p.payout_id || '%' and p.currency = l.functional_currency
    group by l.journal_line_id
)

select
    l.journal_line_id as ledger_line_id,
    l.account_key,
    l.entity_id,
    l.functional_currency as currency,
    l.posted_on,
    l.functional_amount as amount,
    l.document_type,
    l.document_id,
    l.source_system || ':' || l.document_type || ':' || l.document_id as document_key,
    l.doc_number,
    l.description,
    l.contact_key,
    p.payout_key,
    l.source_system,
    l.source_id,
    l.raw_key
from lines as l
left join payouts as p on p.journal_line_id = l.journal_line_id

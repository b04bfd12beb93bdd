-- Grain: one row per bank-feed line the bookkeeper coded: matched (bank_matches) to exactly
-- one ledger document that books the bank line against exactly one profit-and-loss account
-- (a direct expense or income: QBO Purchase, Xero SPEND/RECEIVE...). The account is the
-- entity's own coding, the categoriser's training data; noisy like any bookkeeping.
with matches as (
    select
        bank_line_id,
        min(document_key) as document_key,
        count(distinct document_key) as documents
    from {{ ref('bank_matches') }}
    group by bank_line_id
),

pl_lines as (
    select
        source_system || ':' || document_type || ':' || document_id as document_key,
        min(account_code) as account_code,
        min(account_name) as account_name,
        count(distinct account_code) as accounts
    from {{ ref('general_ledger') }}
    where not is_bank and account_class in ('revenue', 'expense')
    group by source_system || ':' || document_type || ':' || document_id
),

other_lines as (
    -- documents that also book balance-sheet accounts (AR/AP, VAT aside) are not a coding
    select distinct source_system || ':' || document_type || ':' || document_id as document_key
    from {{ ref('general_ledger') }}
    where
        not is_bank and account_class not in ('revenue', 'expense') and account_code is not null
        and not coalesce(account_type, '') in ('CURRLIAB', 'Other Current Liability')
)

select
    b.bank_line_id,
    b.entity_id,
    b.bank_account_id,
    b.line_date,
    b.currency,
    b.amount,
    b.description,
    b.counterparty_name,
    b.bank_category,
    p.account_code,
    p.account_name,
    m.document_key,
    b.raw_key
from matches as m
inner join {{ ref('int_bank_lines') }} as b on b.bank_line_id = m.bank_line_id
inner join pl_lines as p on p.document_key = m.document_key
where
    m.documents = 1
    and p.accounts = 1
    and m.document_key not in (select o.document_key from other_lines as o)

-- Integrity (always on): every journal line posts to a known ledger account.
select
    journal_line_id,
    account_key
from {{ ref('general_ledger') }}
where account_class is null

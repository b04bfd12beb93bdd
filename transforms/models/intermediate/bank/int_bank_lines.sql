-- One row per posted bank-feed line on a feed account linked to a ledger bank account:
-- the bank side of reconciliation. `match_text` is what the matcher searches for ledger
-- references (descriptor, counterparty and the payment reference, upper-cased).
with accounts as (
    select * from {{ ref('int_bank_accounts') }}
    where ledger_account_key is not null
)

select
    t.transaction_id as bank_line_id,
    a.bank_account_id,
    a.ledger_account_key as account_key,
    a.entity_id,
    a.currency,
    t.transaction_date as line_date,
    t.amount,
    t.description,
    coalesce(t.counterparty_name, t.merchant_name) as counterparty_name,
    t.reference_number,
    t.category as bank_category,
    upper(concat_ws(' ', t.description, t.counterparty_name, t.reference_number)) as match_text,
    t.source_system,
    t.source_id,
    t.raw_key
from {{ ref('stg_plaid__transactions') }} as t
inner join accounts as a on a.bank_account_id = t.account_id
where not t.is_deleted and not t.is_pending

-- Grain: one row per (bank-feed line, ledger bank line) pair that ledgerlake matched: a bank
-- line explained by one ledger line (1:1), by several (1:many: one transfer paying two
-- invoices, a receipt net of the bank's charge) or one ledger line explained by several bank
-- lines (many:1: a payment split in two transfers). Rules run in order, each on what the
-- earlier ones left, and a rule only matches when its candidate is the only one on both
-- sides (an ambiguous line waits in bank_unmatched rather than being matched wrongly):
--   1. reference            same account and amount, the bank line quotes the ledger line's
--                           reference (its number, the invoice/bill it settles, the payout)
--   2. reference_many_ledger the bank line quotes several ledger lines that sum to it
--   3. reference_many_bank  several bank lines quote one ledger line and sum to it
--   4. fee_netted           the bank line quotes a ledger line and differs from it by a bank
--                           charge booked as its own ledger line (at most `bank_fee_tolerance`)
--   5. reference_transposed same amount, the bank's payment reference is within two edits
--                           of a ledger reference of the same length (two digits swapped)
--   6. amount_same_day      same account, amount and day
--   7. amount_window        same amount within `bank_match_window_days`, paired in date order
-- All pairs are within `bank_match_window_days` of each other. Each rule is its own model
-- (intermediate/bank/matching/int_bank_match_<rule>, in the order of bank_match_rules()).
with bank as (
    select * from {{ ref('int_bank_lines') }}
),

ledger as (
    select * from {{ ref('int_bank_ledger_lines') }}
),

matched as (
    {{ bank_rule_matches(bank_match_rules()) }}
)

select
    m.bank_line_id || '|' || m.ledger_line_id as match_line_key,
    case
        when m.match_rule = 'reference_many_bank' then 'ledger:' || m.ledger_line_id
        else 'bank:' || m.bank_line_id
    end as match_id,
    m.match_rule,
    case
        when m.match_rule in ('reference_many_ledger', 'fee_netted') then 'one_to_many'
        when m.match_rule = 'reference_many_bank' then 'many_to_one'
        else 'one_to_one'
    end as match_kind,
    m.match_rule in ('reference', 'amount_same_day') as is_exact,
    b.entity_id,
    b.bank_account_id,
    b.account_key,
    b.currency,
    m.bank_line_id,
    b.line_date,
    b.amount as bank_amount,
    b.description as bank_description,
    m.ledger_line_id,
    l.posted_on,
    l.amount as ledger_amount,
    l.document_type,
    l.document_id,
    l.document_key,
    l.doc_number,
    l.description as ledger_description,
    l.payout_key,
    {{ days_between('l.posted_on', 'b.line_date') }} as days_apart,
    l.source_system as ledger_source_system,
    b.raw_key
from matched as m
inner join bank as b on b.bank_line_id = m.bank_line_id
inner join ledger as l on l.ledger_line_id = m.ledger_line_id

-- Rule 1, reference. Grain: one row per pair it matched: a bank line quoting a ledger line of
-- the same amount, when that is the only such candidate on both sides.
with candidates as (
    select
        bank_line_id,
        ledger_line_id,
        count(*) over (partition by bank_line_id) as per_bank,
        count(*) over (partition by ledger_line_id) as per_ledger
    from {{ ref('int_bank_quoted_pairs') }}
    where bank_amount = ledger_amount
)

select
    bank_line_id,
    ledger_line_id,
    'reference' as match_rule
from candidates
where per_bank = 1 and per_ledger = 1

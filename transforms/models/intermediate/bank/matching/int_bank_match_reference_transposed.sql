-- Rule 5, reference_transposed. Grain: one row per pair it matched: an open bank line and an
-- open ledger line of the same amount and account, within the window, whose payment
-- reference is within two edits of one of the ledger line's references of the same length
-- (two digits swapped), the only such candidate on both sides.
{%- set window = var('bank_match_window_days') | int %}
with earlier as (
    {{ bank_earlier_matches('reference_transposed') }}
),

candidates as (
    select
        b.bank_line_id,
        l.ledger_line_id,
        count(*) over (partition by b.bank_line_id) as per_bank,
        count(*) over (partition by l.ledger_line_id) as per_ledger
    from {{ ref('int_bank_lines') }} as b
    inner join {{ ref('int_bank_ledger_lines') }} as l
        on
            l.account_key = b.account_key
            and l.amount = b.amount
            and abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
    where
        b.bank_line_id not in (select e.bank_line_id from earlier as e)
        and l.ledger_line_id not in (select e.ledger_line_id from earlier as e)
        and exists (
            select 1 from {{ ref('int_bank_ledger_references') }} as r
            where
                r.ledger_line_id = l.ledger_line_id
                and length(r.reference) = length(b.reference_number)
                and r.reference != upper(b.reference_number)
                and {{ edit_distance('r.reference', 'upper(b.reference_number)') }} <= 2
        )
)

select
    bank_line_id,
    ledger_line_id,
    'reference_transposed' as match_rule
from candidates
where per_bank = 1 and per_ledger = 1

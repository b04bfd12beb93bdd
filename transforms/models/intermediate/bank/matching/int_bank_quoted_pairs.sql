-- Grain: one row per (bank-feed line, ledger bank line) pair on one account, within
-- `bank_match_window_days`, where the bank line quotes one of the ledger line's references:
-- the candidates of the reference rules (int_bank_match_reference ... _fee_netted).
{%- set window = var('bank_match_window_days') | int %}
select distinct
    b.bank_line_id,
    l.ledger_line_id,
    b.amount as bank_amount,
    l.amount as ledger_amount
from {{ ref('int_bank_lines') }} as b
inner join {{ ref('int_bank_ledger_lines') }} as l
    on
        l.account_key = b.account_key
        and abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
inner join {{ ref('int_bank_ledger_references') }} as r
    on
        r.ledger_line_id = l.ledger_line_id
        and b.match_text like '%' || r.reference || '%'

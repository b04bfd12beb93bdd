-- Rule 4, fee_netted. Grain: one row per pair it matched: a bank line that is a quoted open
-- ledger line net of a bank charge booked as its own ledger line (at most
-- `bank_fee_tolerance`): two rows, the line and the charge, each unique on every side.
{%- set window = var('bank_match_window_days') | int %}
{%- set fee_tolerance = var('bank_fee_tolerance') %}
with earlier as (
    {{ bank_earlier_matches('fee_netted') }}
),

open_ledger as (
    select * from {{ ref('int_bank_ledger_lines') }}
    where ledger_line_id not in (select e.ledger_line_id from earlier as e)
),

candidates as (
    select
        q.bank_line_id,
        q.ledger_line_id,
        f.ledger_line_id as fee_line_id,
        count(*) over (partition by q.bank_line_id) as per_bank,
        count(*) over (partition by q.ledger_line_id) as per_ledger,
        count(*) over (partition by f.ledger_line_id) as per_fee
    from {{ ref('int_bank_quoted_pairs') }} as q
    inner join open_ledger as l on l.ledger_line_id = q.ledger_line_id
    inner join open_ledger as f
        on
            f.account_key = l.account_key
            and f.ledger_line_id != l.ledger_line_id
            and f.amount = q.bank_amount - q.ledger_amount
            and abs({{ days_between('f.posted_on', 'l.posted_on') }}) <= {{ window }}
    where
        q.bank_line_id not in (select e.bank_line_id from earlier as e)
        and q.bank_amount != q.ledger_amount
        and abs(q.bank_amount - q.ledger_amount) <= {{ fee_tolerance }}
),

pairs as (
    select * from candidates
    where per_bank = 1 and per_ledger = 1 and per_fee = 1
)

select
    bank_line_id,
    ledger_line_id,
    'fee_netted' as match_rule
from pairs
union all
select
    bank_line_id,
    fee_line_id as ledger_line_id,
    'fee_netted' as match_rule
from pairs

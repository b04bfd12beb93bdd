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
-- All pairs are within `bank_match_window_days` of each other.
{%- set window = var('bank_match_window_days') | int %}
{%- set fee_tolerance = var('bank_fee_tolerance') %}
with bank as (
    select * from {{ ref('int_bank_lines') }}
),

ledger as (
    select * from {{ ref('int_bank_ledger_lines') }}
),

refs as (
    select * from {{ ref('int_bank_ledger_references') }}
),

-- every (bank line, ledger line) pair on one account, within the window, where the bank
-- line quotes one of the ledger line's references
quoted as (
    select distinct
        b.bank_line_id,
        l.ledger_line_id,
        b.amount as bank_amount,
        l.amount as ledger_amount
    from bank as b
    inner join ledger as l
        on
            l.account_key = b.account_key
            and abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
    inner join refs as r
        on
            r.ledger_line_id = l.ledger_line_id
            and b.match_text like '%' || r.reference || '%'
),

-- 1. reference: one quoted ledger line of the same amount, on both sides
r1_candidates as (
    select
        bank_line_id,
        ledger_line_id,
        count(*) over (partition by bank_line_id) as per_bank,
        count(*) over (partition by ledger_line_id) as per_ledger
    from quoted
    where bank_amount = ledger_amount
),

r1 as (
    select
        bank_line_id,
        ledger_line_id,
        'reference' as match_rule
    from r1_candidates
    where per_bank = 1 and per_ledger = 1
),

-- 2. reference_many_ledger: a bank line quoting several open ledger lines that sum to it
q2 as (
    select
        q.*,
        count(*) over (partition by q.ledger_line_id) as per_ledger
    from quoted as q
    where
        q.bank_line_id not in (select x.bank_line_id from r1 as x)
        and q.ledger_line_id not in (select x.ledger_line_id from r1 as x)
),

r2_groups as (
    select bank_line_id
    from q2
    group by bank_line_id, bank_amount
    having count(*) >= 2 and sum(ledger_amount) = bank_amount and max(per_ledger) = 1
),

r2 as (
    select
        q2.bank_line_id,
        q2.ledger_line_id,
        'reference_many_ledger' as match_rule
    from q2
    inner join r2_groups as g on g.bank_line_id = q2.bank_line_id
),

m2 as (
    select * from r1
    union all
    select * from r2
),

-- 3. reference_many_bank: several open bank lines quoting one ledger line, summing to it
q3 as (
    select
        q.*,
        count(*) over (partition by q.bank_line_id) as per_bank
    from quoted as q
    where
        q.bank_line_id not in (select x.bank_line_id from m2 as x)
        and q.ledger_line_id not in (select x.ledger_line_id from m2 as x)
),

r3_groups as (
    select ledger_line_id
    from q3
    group by ledger_line_id, ledger_amount
    having count(*) >= 2 and sum(bank_amount) = ledger_amount and max(per_bank) = 1
),

r3 as (
    select
        q3.bank_line_id,
        q3.ledger_line_id,
        'reference_many_bank' as match_rule
    from q3
    inner join r3_groups as g on g.ledger_line_id = q3.ledger_line_id
),

m3 as (
    select * from m2
    union all
    select * from r3
),

-- 4. fee_netted: the bank line is a quoted ledger line net of a charge booked on its own
open_ledger_3 as (
    select * from ledger
    where ledger_line_id not in (select x.ledger_line_id from m3 as x)
),

r4_candidates as (
    select
        q.bank_line_id,
        q.ledger_line_id,
        f.ledger_line_id as fee_line_id,
        count(*) over (partition by q.bank_line_id) as per_bank,
        count(*) over (partition by q.ledger_line_id) as per_ledger,
        count(*) over (partition by f.ledger_line_id) as per_fee
    from quoted as q
    inner join open_ledger_3 as l on l.ledger_line_id = q.ledger_line_id
    inner join open_ledger_3 as f
        on
            f.account_key = l.account_key
            and f.ledger_line_id != l.ledger_line_id
            and f.amount = q.bank_amount - q.ledger_amount
            and abs({{ days_between('f.posted_on', 'l.posted_on') }}) <= {{ window }}
    where
        q.bank_line_id not in (select x.bank_line_id from m3 as x)
        and q.bank_amount != q.ledger_amount
        and abs(q.bank_amount - q.ledger_amount) <= {{ fee_tolerance }}
),

r4_pairs as (
    select * from r4_candidates
    where per_bank = 1 and per_ledger = 1 and per_fee = 1
),

r4 as (
    select
        bank_line_id,
        ledger_line_id,
        'fee_netted' as match_rule
    from r4_pairs
    union all
    select
        bank_line_id,
        fee_line_id as ledger_line_id,
        'fee_netted' as match_rule
    from r4_pairs
),

m4 as (
    select * from m3
    union all
    select * from r4
),

open_bank as (
    select * from bank
    where bank_line_id not in (select x.bank_line_id from m4 as x)
),

open_ledger as (
    select * from ledger
    where ledger_line_id not in (select x.ledger_line_id from m4 as x)
),

-- 5. reference_transposed: same amount, the payment reference two edits from a ledger one
r5_candidates as (
    select
        b.bank_line_id,
        l.ledger_line_id,
        count(*) over (partition by b.bank_line_id) as per_bank,
        count(*) over (partition by l.ledger_line_id) as per_ledger
    from open_bank as b
    inner join open_ledger as l
        on
            l.account_key = b.account_key
            and l.amount = b.amount
            and abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
    where exists (
        select 1 from refs as r
        where
            r.ledger_line_id = l.ledger_line_id
            and length(r.reference) = length(b.reference_number)
            and r.reference != upper(b.reference_number)
            and {{ edit_distance('r.reference', 'upper(b.reference_number)') }} <= 2
    )
),

r5 as (
    select
        bank_line_id,
        ledger_line_id,
        'reference_transposed' as match_rule
    from r5_candidates
    where per_bank = 1 and per_ledger = 1
),

-- 6. amount_same_day: the k-th line of an amount on a day meets the k-th on the other side
bank_6 as (
    select
        b.*,
        row_number() over (partition by b.account_key, b.amount, b.line_date order by b.bank_line_id) as k6
    from open_bank as b
    where b.bank_line_id not in (select x.bank_line_id from r5 as x)
),

ledger_6 as (
    select
        l.*,
        row_number() over (partition by l.account_key, l.amount, l.posted_on order by l.ledger_line_id) as k6
    from open_ledger as l
    where l.ledger_line_id not in (select x.ledger_line_id from r5 as x)
),

r6 as (
    select
        b.bank_line_id,
        l.ledger_line_id,
        'amount_same_day' as match_rule
    from bank_6 as b
    inner join ledger_6 as l
        on l.account_key = b.account_key and l.amount = b.amount and l.posted_on = b.line_date and l.k6 = b.k6
),

-- 7. amount_window: what is left, the k-th of an amount on each side in date order
bank_7 as (
    select
        b.*,
        row_number() over (partition by b.account_key, b.amount order by b.line_date, b.bank_line_id) as k7
    from bank_6 as b
    where b.bank_line_id not in (select x.bank_line_id from r6 as x)
),

ledger_7 as (
    select
        l.*,
        row_number() over (partition by l.account_key, l.amount order by l.posted_on, l.ledger_line_id) as k7
    from ledger_6 as l
    where l.ledger_line_id not in (select x.ledger_line_id from r6 as x)
),

r7 as (
    select
        b.bank_line_id,
        l.ledger_line_id,
        'amount_window' as match_rule
    from bank_7 as b
    inner join ledger_7 as l
        on l.account_key = b.account_key and l.amount = b.amount and l.k7 = b.k7
    where abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
),

matched as (
    select * from m4
    union all
    select * from r5
    union all
    select * from r6
    union all
    select * from r7
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

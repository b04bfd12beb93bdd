-- Grain: one row per unreconciled cash line, either side: a posted bank-feed transaction
-- with no ledger entry on the linked bank account, or a ledger entry on a bank account with
-- no bank transaction, older than `bank_reconcile_grace_days` at the latest bank date.
-- A match is the same account, the same amount (inflow positive on both sides) and a date
-- within the grace window; lines pair one-to-one, same-day pairs first, then by date order
-- (so the second of two identical payments needs a second bank line). The feed's opening
-- balance is matched like a line: against an opening entry on the feed's first day, or
-- against the book balance before it.
{%- set window = var('bank_reconcile_grace_days') | int %}
with accounts as (
    select * from {{ ref('int_bank_accounts') }}
    where ledger_account_key is not null
),

feed_start as (
    -- the bank feed's first day (all accounts of the feed start together)
    select min(first_transaction_on) as first_day from accounts
),

bank as (
    select
        t.transaction_id as line_id,
        a.ledger_account_key as account_key,
        a.entity_id,
        a.currency,
        t.transaction_date as line_date,
        t.amount,
        t.description,
        t.source_system,
        t.source_id,
        t.raw_key
    from {{ ref('stg_plaid__transactions') }} as t
    join accounts as a on a.bank_account_id = t.account_id
    where not t.is_deleted and not t.is_pending
    union all
    select
        'opening:' || a.bank_account_id as line_id,
        a.ledger_account_key as account_key,
        a.entity_id,
        a.currency,
        f.first_day as line_date,
        a.implied_opening_balance as amount,
        'Opening balance' as description,
        a.source_system,
        a.source_id,
        a.raw_key
    from accounts as a
    cross join feed_start as f
    where a.implied_opening_balance != 0
),

ledger as (
    select
        g.journal_line_id as line_id,
        g.account_key,
        g.entity_id,
        g.functional_currency as currency,
        g.posted_on as line_date,
        g.functional_amount as amount,
        coalesce(g.description, g.document_type) as description,
        g.source_system,
        g.source_id,
        g.raw_key
    from {{ ref('general_ledger') }} as g
    join accounts as a on a.ledger_account_key = g.account_key
    cross join feed_start as f
    where g.is_bank and g.posted_on >= f.first_day
    union all
    -- the book balance before the feed starts, as one line on its first day (it meets the
    -- feed's opening balance)
    select
        'opening:' || g.account_key as line_id,
        g.account_key,
        max(g.entity_id) as entity_id,
        max(g.functional_currency) as currency,
        max(f.first_day) as line_date,
        sum(g.functional_amount) as amount,
        'Book balance before the bank feed' as description,
        max(g.source_system) as source_system,
        g.account_key as source_id,
        max(g.raw_key) as raw_key
    from {{ ref('general_ledger') }} as g
    join accounts as a on a.ledger_account_key = g.account_key
    cross join feed_start as f
    where g.is_bank and g.posted_on < f.first_day
    group by g.account_key
    having sum(g.functional_amount) != 0
),

-- pass 1: same account, amount and day
bank_same_day as (
    select
        *,
        row_number() over (partition by account_key, amount, line_date order by line_id) as k
    from bank
),

ledger_same_day as (
    select
        *,
        row_number() over (partition by account_key, amount, line_date order by line_id) as k
    from ledger
),

same_day as (
    select
        b.line_id as bank_line_id,
        l.line_id as ledger_line_id
    from bank_same_day as b
    join ledger_same_day as l using (account_key, amount, line_date, k)
),

-- pass 2: what is left, paired in date order within the window
bank_left as (
    select
        *,
        row_number() over (partition by account_key, amount order by line_date, line_id) as k
    from bank
    where line_id not in (select s.bank_line_id from same_day as s)
),

ledger_left as (
    select
        *,
        row_number() over (partition by account_key, amount order by line_date, line_id) as k
    from ledger
    where line_id not in (select s.ledger_line_id from same_day as s)
),

windowed as (
    select
        b.line_id as bank_line_id,
        l.line_id as ledger_line_id
    from bank_left as b
    join ledger_left as l using (account_key, amount, k)
    where abs({{ days_between('l.line_date', 'b.line_date') }}) <= {{ window }}
),

matched as (
    select * from same_day
    union all
    select * from windowed
),

as_of as (
    select max(line_date) as as_of_date from bank
),

unmatched as (
    select
        'bank_without_ledger' as problem,
        b.*
    from bank as b
    where b.line_id not in (select m.bank_line_id from matched as m)
    union all
    select
        'ledger_without_bank' as problem,
        l.*
    from ledger as l
    where l.line_id not in (select m.ledger_line_id from matched as m)
)

select
    u.problem || ':' || u.line_id as unreconciled_key,
    u.problem,
    u.entity_id,
    u.account_key,
    u.line_date,
    u.currency,
    u.amount,
    u.description,
    {{ days_between('u.line_date', 'as_of.as_of_date') }} as days_outstanding,
    u.source_system,
    u.source_id,
    u.raw_key
from unmatched as u
cross join as_of
where u.line_date <= as_of.as_of_date - {{ window }}

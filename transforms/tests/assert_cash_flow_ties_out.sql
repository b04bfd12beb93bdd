-- The cash-flow statement ties out: each month, opening cash + the lines = closing cash,
-- and closing cash equals the ledger's book balance of the entity's bank accounts then.
with cf as (
    select
        entity_id,
        period_month,
        sum(case when cash_flow_line = 'opening_cash' then amount else 0 end) as opening_cash,
        sum(case when section != 'cash' then amount else 0 end) as lines,
        sum(case when cash_flow_line = 'closing_cash' then amount else 0 end) as closing_cash
    from {{ ref('cash_flow_statement') }}
    group by entity_id, period_month
),

book as (
    select
        c.entity_id,
        c.period_month,
        sum(g.functional_amount) as book_cash
    from cf as c
    join {{ ref('general_ledger') }} as g
        on g.entity_id = c.entity_id and g.is_bank and g.posted_on < {{ add_months('c.period_month', 1) }}
    group by c.entity_id, c.period_month
)

select
    cf.*,
    book.book_cash
from cf
left join book using (entity_id, period_month)
where
    cf.opening_cash + cf.lines != cf.closing_cash
    or cf.closing_cash != coalesce(book.book_cash, 0)

-- One row per journal line of the FX gains and losses on foreign-currency documents (an
-- invoice or bill in a currency other than its entity's), in the entity's functional
-- currency; each posting is two lines that net to zero:
--   * realised, dated by the payment: the payment converts at its own rate, the document's
--     receivable / payable was booked at the document's; the difference moves the control
--     account to what was booked and lands in the realised FX account;
--   * unrealised, at every month end before the ledger's latest posting while the document is
--     open: its open balance revalued at that day's ECB rate against what it is carried at,
--     to the unrealised FX account, and reversed the next day (so each month end stands alone).
-- Accounts: QBO "Exchange Gain or Loss" (both), Xero's REALISEDCURRENCYGAIN / UNREALISEDCURRENCYGAIN
-- system accounts (docs/DECISIONS.md, "Foreign-currency documents").
{%- set reporting = var('reporting_currency') %}
{%- set posting_columns = [
    'key_prefix', 'entity_id', 'source_system', 'tenant_id', 'document_type', 'fx_document_id as document_id',
    'doc_number', 'fx_posted_on as posted_on', 'contact_key', 'functional_currency', 'fx_raw_key as raw_key',
    'fx_description as description', 'control_account_key',
] %}
with posted as (
    select * from {{ ref('int_journal_lines') }}
    where quarantine_reason is null
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

control_lines as (
    -- the receivable / payable lines of foreign documents and of the payments that settle them
    select l.*
    from posted as l
    inner join accounts as a on a.entity_id = l.entity_id and a.account_key = l.account_key
    where (a.is_receivable or a.is_payable) and l.currency != l.functional_currency
),

documents as (
    select
        d.document_key,
        max(d.key_prefix) as key_prefix,
        max(d.entity_id) as entity_id,
        max(d.source_system) as source_system,
        max(d.tenant_id) as tenant_id,
        max(d.document_id) as document_id,
        max(d.doc_number) as doc_number,
        max(d.contact_key) as contact_key,
        max(d.currency) as currency,
        max(d.functional_currency) as functional_currency,
        max(d.account_key) as control_account_key,
        max(d.raw_key) as raw_key,
        min(d.posted_on) as posted_on,
        -- what the document owes in its own currency, and what that was booked at
        abs(sum(d.amount)) as total_amount,
        sum(d.functional_amount) as carrying_amount
    from control_lines as d
    where d.document_type in ('Invoice', 'Bill')
    group by d.document_key
),

payments as (
    select
        p.document_key,
        abs(sum(p.amount)) as total_amount,
        sum(p.functional_amount) as functional_amount,
        max(p.raw_key) as raw_key
    from control_lines as p
    where p.document_type in ('Payment', 'BillPayment')
    group by p.document_key
),

fx_accounts as (
    select
        c.source_system,
        c.tenant_id,
        r.account_key as realised_account_key,
        u.account_key as unrealised_account_key
    from {{ ref('int_ledger_control_accounts') }} as c
    left join accounts as r
        on
            r.source_system = c.source_system and r.tenant_id = c.tenant_id
            and r.source_account_id = c.fx_realised_account_id
    left join accounts as u
        on
            u.source_system = c.source_system and u.tenant_id = c.tenant_id
            and u.source_account_id = c.fx_unrealised_account_id
),

realised as (
    -- per application of a payment to a foreign document; a part payment clears its share
    -- of the carrying amount and of the payment (pro rata, rounded to the cent)
    select
        d.*,
        'FxRealised' as document_type,
        al.payment_id || '/' || d.document_id as fx_document_id,
        al.applied_on as fx_posted_on,
        p.raw_key as fx_raw_key,
        -(case
            when al.amount = d.total_amount then d.carrying_amount
            else {{ round_to_currency('d.carrying_amount * al.amount / d.total_amount', 'd.functional_currency') }}
        end)
        - (case
            when al.amount = p.total_amount then p.functional_amount
            else {{ round_to_currency('p.functional_amount * al.amount / p.total_amount', 'd.functional_currency') }}
        end)
            as adjustment,
        'Realised FX on ' || coalesce(d.doc_number, d.document_id) as fx_description,
        'realised' as kind
    from {{ ref('int_allocations') }} as al
    inner join documents as d on d.document_key = al.document_key
    inner join payments as p on p.document_key = d.key_prefix || ':' || al.payment_type || ':' || al.payment_id
),

month_ends as (
    select distinct cast({{ dbt.last_day('s.day', 'month') }} as date) as month_end
    from {{ date_spine('(select min(posted_on) from documents)', '(select max(posted_on) from posted)') }} as s
),

document_month_ends as (
    -- only month ends the ledger has moved past: the revaluation's reversal is then posted too
    select
        d.document_key,
        m.month_end
    from documents as d
    inner join month_ends as m on m.month_end >= d.posted_on
    where m.month_end < (select max(p.posted_on) from posted as p)
),

applied_by_month_end as (
    select
        dm.document_key,
        dm.month_end,
        sum(al.amount) as applied_amount
    from document_month_ends as dm
    inner join {{ ref('int_allocations') }} as al
        on al.document_key = dm.document_key and al.applied_on <= dm.month_end
    group by dm.document_key, dm.month_end
),

open_at_month_end as (
    select
        d.*,
        dm.month_end,
        d.total_amount - coalesce(ap.applied_amount, 0) as open_amount
    from document_month_ends as dm
    inner join documents as d on d.document_key = dm.document_key
    left join applied_by_month_end as ap on ap.document_key = dm.document_key and ap.month_end = dm.month_end
),

revalued as (
    select
        o.*,
        (case when o.carrying_amount < 0 then -1 else 1 end)
        * {{ convert('o.open_amount', 'r.rate', 'o.functional_currency') }}
        - (case
            when o.open_amount = o.total_amount then o.carrying_amount
            else {{ round_to_currency('o.carrying_amount * o.open_amount / o.total_amount', 'o.functional_currency') }}
        end)
            as adjustment
    from open_at_month_end as o
    inner join {{ ref('int_fx_pair_rates_daily') }} as r
        on r.base_currency = o.currency and r.quote_currency = o.functional_currency and r.rate_date = o.month_end
    where o.open_amount > 0
),

unrealised as (
    select
        v.*,
        'FxRevaluation' as document_type,
        v.document_id || '@' || cast(v.month_end as varchar) as fx_document_id,
        v.month_end as fx_posted_on,
        v.raw_key as fx_raw_key,
        v.adjustment as posted_adjustment,
        'Revaluation of ' || coalesce(v.doc_number, v.document_id)
        || ' at ' || cast(v.month_end as varchar) as fx_description
    from revalued as v
    union all
    select
        v.*,
        'FxRevaluationReversal' as document_type,
        v.document_id || '@' || cast(v.month_end as varchar) as fx_document_id,
        cast({{ dbt.dateadd('day', 1, 'v.month_end') }} as date) as fx_posted_on,
        v.raw_key as fx_raw_key,
        -v.adjustment as posted_adjustment,
        'Reversal of the revaluation of ' || coalesce(v.doc_number, v.document_id) || ' at '
        || cast(v.month_end as varchar) as fx_description
    from revalued as v
),

postings as (
    -- the realised and the unrealised adjustments, in the same columns
    select
        {%- for column in posting_columns %}
            {{ column }},
        {%- endfor %}
        adjustment as amount,
        'realised' as kind
    from realised
    union all
    select
        {%- for column in posting_columns %}
            {{ column }},
        {%- endfor %}
        posted_adjustment as amount,
        'unrealised' as kind
    from unrealised
),

sides as (
    select
        'control' as line_id,
        1 as sign
    union all
    select
        'fx' as line_id,
        -1 as sign
)

select
    p.key_prefix || ':' || p.document_type || ':' || p.document_id || ':' || s.line_id as journal_line_id,
    p.entity_id,
    p.source_system,
    p.tenant_id,
    p.document_type,
    p.document_id,
    p.doc_number,
    p.posted_on,
    s.line_id,
    case
        when s.line_id = 'control' then p.control_account_key
        when p.kind = 'realised' then f.realised_account_key
        else f.unrealised_account_key
    end as account_key,
    cast(s.sign * p.amount as {{ money_type() }}) as amount,
    p.functional_currency as currency,
    p.functional_currency,
    cast(1 as decimal(38, 10)) as to_functional_rate,
    {{ rate_or_identity('p.functional_currency', "'" ~ reporting ~ "'", 'fx.rate') }} as to_reporting_rate,
    case
        when p.functional_currency = '{{ reporting }}' then p.posted_on else fx.published_on
    end as reporting_rate_date,
    p.contact_key,
    p.description,
    p.document_id as source_id,
    p.raw_key,
    cast(s.sign * p.amount as {{ money_type() }}) as functional_amount
from postings as p
cross join sides as s
left join fx_accounts as f on f.source_system = p.source_system and f.tenant_id = p.tenant_id
left join {{ ref('int_fx_rates_daily') }} as fx
    on
        fx.currency = case when p.functional_currency != '{{ reporting }}' then p.functional_currency end
        and fx.rate_date = p.posted_on
where p.amount != 0

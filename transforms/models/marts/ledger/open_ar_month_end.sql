-- Grain: one row per entity, month end and customer with receivables still open at that
-- month end (invoices issued on or before it, minus payments and credits applied on or
-- before it, minus the customer's credit memos not applied to an invoice through a
-- payment: QBO applies those to the customer's open invoices, so they reduce what the
-- customer owes from their own date), in the invoice currency. AR aging as of any date is the same query with
-- another cut-off (see docs/marts.md).
with month_ends as (
    select distinct {{ month_end('posted_on') }} as month_end
    from {{ ref('general_ledger') }}
),

documents as (
    select * from {{ ref('int_ar_ap_documents') }}
    where document_kind = 'AR' and not is_voided and not is_deleted
),

qbo_unapplied_credits as (
    -- QBO credit memos minus what payments applied of them to a named invoice (that part is
    -- already inside the invoice's payment line)
    select
        c.credit_memo_id,
        t.entity_id,
        {{ ledger_prefix('qbo', 'c.tenant_id') }} || ':' || c.customer_id as contact_key,
        c.customer_name,
        c.currency,
        c.txn_date as issued_on,
        c.total_amount - coalesce(sum(a.amount), 0) as unapplied_amount
    from {{ ref('stg_qbo__credit_memos') }} as c
    join {{ ref('source_tenants') }} as t on t.source_system = 'qbo' and t.tenant_id = c.tenant_id
    left join {{ ref('stg_qbo__payment_allocations') }} as a
        on
            a.tenant_id = c.tenant_id and a.applied_to_type = 'CreditMemo' and a.applied_to_id = c.credit_memo_id
            and not a.is_deleted and not a.is_voided
    where not c.is_deleted and not c.is_voided
    group by
        c.credit_memo_id, c.tenant_id, t.entity_id, c.customer_id,
        c.customer_name, c.currency, c.txn_date, c.total_amount
),

credits_at as (
    select
        m.month_end,
        c.entity_id,
        c.contact_key,
        c.currency,
        sum(c.unapplied_amount) as amount
    from month_ends as m
    join qbo_unapplied_credits as c on c.issued_on <= m.month_end
    group by m.month_end, c.entity_id, c.contact_key, c.currency
),

paid_by_month_end as (
    select
        a.document_key,
        m.month_end,
        sum(a.amount) as amount
    from {{ ref('int_allocations') }} as a
    join month_ends as m on a.applied_on <= m.month_end
    group by a.document_key, m.month_end
),

invoices_at as (
    select
        m.month_end,
        d.entity_id,
        d.contact_key,
        max(d.contact_name) as customer_name,
        d.currency,
        sum(d.total_amount) - coalesce(sum(paid.amount), 0) as open_amount
    from month_ends as m
    join documents as d on d.issued_on <= m.month_end
    left join paid_by_month_end as paid on paid.document_key = d.document_key and paid.month_end = m.month_end
    group by m.month_end, d.entity_id, d.contact_key, d.currency
),

open_at as (
    select
        i.month_end,
        i.entity_id,
        i.contact_key,
        i.customer_name,
        i.currency,
        i.open_amount - coalesce(c.amount, 0) as open_amount
    from invoices_at as i
    left join credits_at as c using (month_end, entity_id, contact_key, currency)
)

select
    o.entity_id || ':' || o.contact_key || ':' || cast(o.month_end as varchar) as open_ar_key,
    o.month_end,
    o.entity_id,
    o.contact_key,
    split_part(o.contact_key, ':', 2) as customer_id,
    o.customer_name,
    -- the resolved customer: one name per party whatever the spelling
    p.party_key,
    coalesce(p.party_name, o.customer_name) as party_name,
    o.currency,
    o.open_amount
from open_at as o
left join {{ ref('party_contacts') }} as p on p.contact_key = o.contact_key and p.party_kind = 'customer'
where o.open_amount != 0

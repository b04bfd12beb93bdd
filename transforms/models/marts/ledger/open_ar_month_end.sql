-- Grain: one row per entity, month end and customer with receivables still open at that
-- month end (invoices issued on or before it, minus payments and credits applied on or
-- before it), in the invoice currency. AR aging as of any date is the same query with
-- another cut-off (see docs/marts.md).
with month_ends as (
    select distinct cast(date_trunc('month', posted_on) + interval 1 month - interval 1 day as date) as month_end
    from {{ ref('general_ledger') }}
),

documents as (
    select * from {{ ref('int_ar_ap_documents') }}
    where document_kind = 'AR' and not is_voided and not is_deleted
),

open_at as (
    select
        m.month_end,
        d.entity_id,
        d.contact_key,
        max(d.contact_name) as customer_name,
        d.currency,
        sum(d.total_amount) - coalesce(sum(paid.amount), 0) as open_amount
    from month_ends as m
    join documents as d on d.issued_on <= m.month_end
    left join (
        select a.document_key, m2.month_end, sum(a.amount) as amount
        from {{ ref('int_allocations') }} as a
        join month_ends as m2 on a.applied_on <= m2.month_end
        group by a.document_key, m2.month_end
    ) as paid on paid.document_key = d.document_key and paid.month_end = m.month_end
    group by m.month_end, d.entity_id, d.contact_key, d.currency
)

select
    entity_id || ':' || contact_key || ':' || cast(month_end as varchar) as open_ar_key,
    month_end,
    entity_id,
    contact_key,
    split_part(contact_key, ':', 2) as customer_id,
    customer_name,
    currency,
    open_amount
from open_at
where open_amount <> 0

-- Integrity (always on): every entity's journal nets to zero in every month, and every
-- document's lines net to zero. A line whose amount could not be computed (NULL) is a
-- failure of its own, never a row the sums quietly skip.
select
    entity_id,
    cast(period_month as varchar) as scope,
    sum(functional_amount) as net
from {{ ref('general_ledger') }}
group by entity_id, period_month
having sum(functional_amount) != 0
union all
select
    entity_id,
    source_system || ':' || tenant_id || ':' || document_type || ':' || document_id as scope,
    sum(functional_amount) as net
from {{ ref('general_ledger') }}
group by entity_id, source_system, tenant_id, document_type, document_id
having sum(functional_amount) != 0
union all
select
    entity_id,
    'unsummable line ' || journal_line_id as scope,
    null as net
from {{ ref('general_ledger') }}
where
    transaction_amount is null or functional_amount is null or reporting_amount is null
    or entity_id is null or posted_on is null

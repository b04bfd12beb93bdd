-- Integrity (always on): every entity's journal nets to zero in every month, and every
-- document's lines net to zero.
select entity_id, cast(period_month as varchar) as scope, sum(functional_amount) as net
from {{ ref('general_ledger') }}
group by entity_id, period_month
having sum(functional_amount) <> 0
union all
select entity_id, document_type || ':' || document_id, sum(functional_amount)
from {{ ref('general_ledger') }}
group by entity_id, document_type, document_id
having sum(functional_amount) <> 0

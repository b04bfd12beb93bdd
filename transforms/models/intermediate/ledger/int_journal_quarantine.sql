-- One row per ledger document that cannot be posted (int_journal_lines.quarantine_reason):
-- its lines are left out of general_ledger whole, so every published document balances.
-- Unioned into marts/ops/quarantine_records.
with documents as (
    select
        source_system,
        tenant_id,
        document_type,
        document_id,
        min(quarantine_reason) as reason,
        min(raw_key) as raw_key
    from {{ ref('int_journal_lines') }}
    where quarantine_reason is not null
    group by source_system, tenant_id, document_type, document_id
)

select
    {{ quarantine_columns(
        none,
        'tenant_id',
        'document_type',
        'document_id',
        'raw_key',
        'reason',
        source_expr='source_system'
    ) }},
    document_type,
    document_id
from documents

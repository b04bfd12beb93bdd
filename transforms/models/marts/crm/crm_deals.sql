-- Grain: one row per HubSpot deal (not deleted), with its pipeline stage, win
-- probability, weighted value and whether it is won / closed, the legal entity its pipeline
-- sells for, and the ledger's payment status as write-back keeps it on the deal.
select
    d.deal_id,
    d.deal_name,
    d.pipeline_id,
    s.pipeline_label,
    d.stage_id,
    s.stage_label,
    coalesce(s.probability, 0) as probability,
    coalesce(s.is_closed, false) as is_closed,
    coalesce(s.is_won, false) as is_won,
    d.amount,
    d.currency,
    cast(d.amount * coalesce(s.probability, 0) as {{ money_type() }}) as weighted_amount,
    d.company_id,
    d.close_at,
    cast(d.close_at as date) as close_date,
    d.created_at,
    d.updated_at,
    d.source_system,
    d.source_id,
    d.raw_key,
    e.entity_id,
    le.ledger_source,
    d.ledger_payment_status,
    d.ledger_paid_on,
    d.ledger_amount_outstanding
from {{ ref('stg_hubspot__deals') }} as d
left join {{ ref('stg_hubspot__pipeline_stages') }} as s
    on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
left join {{ ref('crm_pipeline_entities') }} as e
    on e.pipeline_id = d.pipeline_id
left join {{ ref('legal_entities') }} as le
    on le.entity_id = e.entity_id
where not d.is_deleted

-- Grain: one row per HubSpot deal (not deleted), with its pipeline stage, win
-- probability, weighted value and whether it is won / closed.
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
    d.raw_key
from {{ ref('stg_hubspot__deals') }} as d
left join {{ ref('stg_hubspot__pipeline_stages') }} as s
    on s.pipeline_id = d.pipeline_id and s.stage_id = d.stage_id
where not d.is_deleted

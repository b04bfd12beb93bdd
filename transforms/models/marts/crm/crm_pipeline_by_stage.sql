-- Grain: one row per pipeline and stage (open and closed): deal count, total and
-- probability-weighted value, in the deals' currency.
select
    -- a deal without a pipeline, stage or currency still counts, under an empty key part
    coalesce(pipeline_id, '') || ':' || coalesce(stage_id, '') || ':' || coalesce(currency, '') as pipeline_stage_key,
    pipeline_id,
    max(pipeline_label) as pipeline_label,
    stage_id,
    max(stage_label) as stage_label,
    currency,
    count(*) as deals,
    sum(amount) as total_amount,
    sum(weighted_amount) as weighted_amount
from {{ ref('crm_deals') }}
group by pipeline_id, stage_id, currency

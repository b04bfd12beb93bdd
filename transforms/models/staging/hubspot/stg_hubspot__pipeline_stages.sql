-- One row per deal pipeline stage (GET /crm/v3/pipelines/deals), with the stage's win
-- probability (metadata.probability, "0.2") and whether it is closed / won.
with raw as {{ inline_cte() }} (
    select * from {{ raw_objects('hubspot', 'pipelines') }}
),

pipelines as (
    select
        raw.raw_key,
        raw.received_at,
        raw.item as pipeline
    from {{ json_each_row('raw', 'raw', 'payload', '$.results', 'item') }}
),

stages as (
    select
        p.raw_key,
        p.received_at,
        {{ json_str('p.pipeline', '$.id') }} as pipeline_id,
        {{ json_str('p.pipeline', '$.label') }} as pipeline_label,
        p.stage
    from {{ json_each_row('pipelines', 'p', 'pipeline', '$.stages', 'stage') }}
),

renamed as (
    select
        pipeline_id || ':' || {{ json_str('stage', '$.id') }} as pipeline_stage_key,
        pipeline_id,
        pipeline_label,
        {{ json_str('stage', '$.id') }} as stage_id,
        {{ json_str('stage', '$.label') }} as stage_label,
        try_cast({{ json_str('stage', '$.displayOrder') }} as integer) as display_order,
        try_cast({{ json_str('stage', '$.metadata.probability') }} as decimal(9, 6)) as probability,
        coalesce(try_cast({{ json_str('stage', '$.metadata.isClosed') }} as boolean), false) as is_closed,
        coalesce(try_cast({{ json_str('stage', '$.metadata.isClosed') }} as boolean), false)
        and try_cast({{ json_str('stage', '$.metadata.probability') }} as decimal(9, 6)) = 1 as is_won,
        'hubspot' as source_system,
        raw_key,
        received_at
    from stages
)

-- a stage without its pipeline's or its own id is in stg_hubspot__quarantine
{{ dedupe(
    'select * from renamed where pipeline_stage_key is not null',
    'pipeline_stage_key',
    'received_at desc, raw_key desc'
) }}

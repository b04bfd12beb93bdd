-- One row per option of a Xero tracking category (GET /TrackingCategories, archived ones
-- included): the list line items' TrackingOptionIDs resolve against. Which dimension a
-- category is (class or department) is decided in macros/dimensions.sql.
with source as (
    {{ xero_source('TrackingCategories') }}
),

options as (
    select
        s.record_id as tracking_category_id,
        s.tenant_id,
        s.record,
        s.updated_at,
        s.source_system,
        s.record_id,
        s.raw_key,
        s.opt
    from {{ json_each_row('source', 's', 'record', '$.Options', 'opt') }}
),

renamed as (
    select
        {{ json_str('opt', '$.TrackingOptionID') }} as tracking_option_id,
        tracking_category_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as tracking_category_name,
        {{ json_str('record', '$.Status') }} as tracking_category_status,
        {{ json_str('opt', '$.Name') }} as tracking_option_name,
        {{ json_str('opt', '$.Status') }} as tracking_option_status,
        {{ xero_lineage() }}
    from options
)

select * from renamed
where tracking_option_id is not null

-- One row per QBO Class (a dimension journal lines are tagged with; docs/marts.md "Dimensions").
with source as (
    {{ qbo_source('Class') }}
),

renamed as (
    select
        record_id as class_id,
        realm_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as class_name,
        {{ json_str('record', '$.FullyQualifiedName') }} as fully_qualified_name,
        {{ json_str('record', '$.ParentRef.value') }} as parent_class_id,
        coalesce(try_cast({{ json_str('record', '$.SubClass') }} as boolean), false) as is_sub_class,
        coalesce(try_cast({{ json_str('record', '$.Active') }} as boolean), true) as is_active,
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed

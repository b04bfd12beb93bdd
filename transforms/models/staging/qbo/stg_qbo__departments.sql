-- One row per QBO Department (a dimension journal lines are tagged with; docs/marts.md "Dimensions").
with source as (
    {{ qbo_source('Department') }}
),

renamed as (
    select
        record_id as department_id,
        realm_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as department_name,
        {{ json_str('record', '$.FullyQualifiedName') }} as fully_qualified_name,
        {{ json_str('record', '$.ParentRef.value') }} as parent_department_id,
        coalesce(try_cast({{ json_str('record', '$.SubDepartment') }} as boolean), false) as is_sub_department,
        coalesce(try_cast({{ json_str('record', '$.Active') }} as boolean), true) as is_active,
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed

{#
  Dimensions (docs/marts.md "Dimensions", DECISIONS.md): every journal line may carry a class
  and a department. QBO has them as such (Class; Department, which QBO's screens call
  Location or whatever label the company chose). Xero has up to two tracking categories per
  organisation, on line items as `Tracking: [{TrackingCategoryID, TrackingOptionID, Name,
  Option}]`; they map onto the same two columns by category name:

  * a category named in var('xero_department_tracking_categories') is the department;
  * a category named in var('xero_class_tracking_categories') is the class; when that list is
    empty (the default), any category that is not the department is the class (the first on
    the line when an organisation has two such categories: name one in the var to choose).

  Names compare case-insensitively. The option's id is the dimension id, its name the name.
#}
{% macro xero_tracking_category_names(var_name) -%}
    {%- set names = var(var_name, []) -%}
    {{- return(names | map('lower') | list) -}}
{%- endmacro %}

{% macro xero_is_tracking_category(name_expr, dimension) -%}
    {%- set department = xero_tracking_category_names('xero_department_tracking_categories') -%}
    {%- set klass = xero_tracking_category_names('xero_class_tracking_categories') -%}
    {%- if dimension == 'department' or klass -%}
        {%- set names = department if dimension == 'department' else klass -%}
        coalesce(lower({{ name_expr }}) in ('{{ names | join("', '") }}'), false)
    {%- else -%}
        ({{ name_expr }} is not null and not coalesce(lower({{ name_expr }}) in ('{{ department | join("', '") }}'), false))
    {%- endif -%}
{%- endmacro %}

{# class_id, class_name, department_id, department_name of a Xero line item's Tracking array. #}
{% macro xero_tracking_columns(line) -%}
    {%- set slots = ['$.Tracking[0]', '$.Tracking[1]'] -%}
    {%- for dimension in ['class', 'department'] %}
    case
        {%- for slot in slots %}
        when {{ xero_is_tracking_category(json_str(line, slot ~ '.Name'), dimension) }} then {{ json_str(line, slot ~ '.TrackingOptionID') }}
        {%- endfor %}
    end as {{ dimension }}_id,
    case
        {%- for slot in slots %}
        when {{ xero_is_tracking_category(json_str(line, slot ~ '.Name'), dimension) }} then {{ json_str(line, slot ~ '.Option') }}
        {%- endfor %}
    end as {{ dimension }}_name{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{# A QBO reference's id and name as `<prefix>_id`, `<prefix>_name` (ClassRef, DepartmentRef). #}
{% macro qbo_ref_columns(expr, path, prefix) -%}
    {{ json_str(expr, path ~ '.value') }} as {{ prefix }}_id,
    {{ json_str(expr, path ~ '.name') }} as {{ prefix }}_name
{%- endmacro %}

{# A double-entry line's dimensions (the journal-line contract, macros/journal.sql): `alias`'s
   own columns, or NULL for a line its document does not code (a receivable, a tax line). #}
{% macro dimension_columns(alias=none) -%}
    {%- for column in ['class_id', 'class_name', 'department_id', 'department_name'] %}
    {% if alias %}{{ alias }}.{{ column }}{% else %}cast(null as varchar){% endif %} as {{ column }},
    {%- endfor %}
{%- endmacro %}

{# A QBO line's class and department: the line's own, else its transaction's (`header`). #}
{% macro line_or_header_dimensions(line, header) -%}
    {%- for d in ['class', 'department'] %}
    case when {{ line }}.{{ d }}_id is not null then {{ line }}.{{ d }}_id else {{ header }}.{{ d }}_id end as {{ d }}_id,
    case when {{ line }}.{{ d }}_id is not null then {{ line }}.{{ d }}_name else {{ header }}.{{ d }}_name end as {{ d }}_name,
    {%- endfor %}
{%- endmacro %}

{# A QBO dimension list (Class, Department): one row per entity, `kind` naming its columns. #}
{% macro qbo_dimension_list(entity_type, kind, sub_flag) %}
with source as (
    {{ qbo_source(entity_type) }}
),

renamed as (
    select
        record_id as {{ kind }}_id,
        realm_id,
        tenant_id,
        {{ json_str('record', '$.Name') }} as {{ kind }}_name,
        {{ json_str('record', '$.FullyQualifiedName') }} as fully_qualified_name,
        {{ json_str('record', '$.ParentRef.value') }} as parent_{{ kind }}_id,
        coalesce(try_cast({{ json_str('record', '$.' ~ sub_flag) }} as boolean), false) as is_sub_{{ kind }},
        coalesce(try_cast({{ json_str('record', '$.Active') }} as boolean), true) as is_active,
        {{ qbo_lineage(voided=false) }}
    from source
)

select * from renamed
{% endmacro %}

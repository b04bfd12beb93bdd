{#
  Quarantine: a record that cannot be staged is set aside with its reason and raw key
  instead of failing the build (docs/DECISIONS.md, "Quarantine, not stop"). Each source's
  stg_<source>__quarantine and the ledger's int_journal_quarantine give rows of these
  columns; marts/ops/quarantine_records unions them.

  quarantine_key identifies one finding: the same raw object, entity, record and reason on
  every build (so `ledgerlake quarantine release` can name it). A record without an id is
  told apart from others in the same object by a hash of its content.
#}
{% macro quarantine_columns(source_name, tenant_expr, entity_expr, source_id_expr, raw_key_expr, reason_expr, content_expr='null', source_expr=none) -%}
    {%- set source_expr = source_expr or ("'" ~ source_name ~ "'") -%}
    md5({{ source_expr }} || '|' || {{ raw_key_expr }} || '|' || {{ entity_expr }} || '|'
        || coalesce({{ source_id_expr }}, md5(coalesce(cast({{ content_expr }} as varchar), ''))) || '|' || {{ reason_expr }}) as quarantine_key,
    {{ source_expr }} as source_system,
    cast({{ tenant_expr }} as varchar) as tenant_id,
    cast({{ entity_expr }} as varchar) as entity,
    cast({{ source_id_expr }} as varchar) as source_id,
    {{ raw_key_expr }} as raw_key,
    cast({{ reason_expr }} as varchar) as reason
{%- endmacro %}

{# Raw objects of an entity whose payload lacks the array its records are read from. #}
{% macro quarantine_wrong_shape(source_name, entity, path, reason=none, where=none) -%}
    select distinct
        {{ quarantine_columns(source_name, tenant_id(source_name, 'envelope'), "'" ~ entity ~ "'", 'null', 'raw_key',
                              "'" ~ (reason or ('wrong shape: no ' ~ path ~ ' array in the object')) ~ "'") }}
    from {{ source(source_name, entity) }}
    where not {{ json_is_array(json_get('payload', path)) }}
    {%- if where %} and ({{ where }}){% endif %}
{%- endmacro %}

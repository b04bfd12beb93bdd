{#
  The tenant a raw object belongs to: the QBO realm, Xero tenant, Shopify shop, HubSpot
  portal, Stripe account or Plaid item it was received for. Provider ids are unique only
  within a tenant, so every staging key carries it (docs/DECISIONS.md, "Tenant keys").

  Webhooks and hydrations name their tenant (header, payload or envelope `extra`); a poll
  runs under one connection and names it only when the poller stamps `extra.tenant_id`.
  An object that names no tenant belongs to the source's default tenant
  (seeds/source_tenants.csv, is_default): a copy of a record polled without a stamp and
  the same record hydrated with one must land on the same key, or it would count twice.
#}
{% macro tenant_id(source_name, envelope='envelope', also=none) -%}
    coalesce({{ tenant_stamp(source_name, envelope) }},{% if also %} nullif({{ also }}, ''),{% endif %} {{ default_tenant(source_name) }})
{%- endmacro %}

{# The tenant an object names itself (NULL when it names none). #}
{% macro tenant_stamp(source_name, envelope='envelope') -%}
    {%- set paths = {
        'qbo': [(envelope, '$.extra.tenant_id'), (envelope, '$.extra.realm_id'), (envelope, '$.extra.request.realm_id')],
        'xero': [(envelope, '$.extra.tenant_id'), (envelope, '$.extra.request.tenant_id'), (envelope, '$.headers.xero-tenant-id')],
        'shopify': [(envelope, '$.extra.tenant_id'), (envelope, '$.headers.x-shopify-shop-domain'), (envelope, '$.extra.shop_domain')],
        'hubspot': [(envelope, '$.extra.tenant_id'), (envelope, '$.extra.portal_id')],
        'stripe': [(envelope, '$.extra.tenant_id'), (envelope, '$.extra.account')],
        'plaid': [(envelope, '$.extra.tenant_id')],
    }[source_name] -%}
    coalesce(
        {%- for doc, path in paths %}
        nullif({{ json_str(doc, path) }}, ''){% if not loop.last %},{% endif %}
        {%- endfor %})
{%- endmacro %}

{# The tenant of a source's objects that name none (seeds/source_tenants.csv). #}
{% macro default_tenant(source_name) -%}
    (select max(tenant_id) from {{ ref('source_tenants') }} where source_system = '{{ source_name }}' and is_default)
{%- endmacro %}

{#
  The prefix of a ledger key (account_key, document_key, journal_line_id, …): 'qbo' for the
  source's default tenant, 'qbo@<tenant>' for any other. The default tenant's keys keep
  the spelling every mart, alert and drill-down already uses (qbo:Invoice:123), while a
  second realm's invoice 123 gets a key of its own (qbo@<realm>:Invoice:123).
#}
{% macro ledger_prefix(source_name, tenant_expr) -%}
    case when {{ tenant_expr }} = {{ default_tenant(source_name) }} then '{{ source_name }}'
         else '{{ source_name }}@' || {{ tenant_expr }} end
{%- endmacro %}

{# A ledger contact's id in int_contacts: the provider id for the source's default tenant,
   `<tenant>/<id>` for another (a second realm's customer 101 is not the first's). #}
{% macro tenant_qualified_id(source_name, tenant_expr, id_expr) -%}
    case when {{ tenant_expr }} = {{ default_tenant(source_name) }} then {{ id_expr }}
         else {{ tenant_expr }} || '/' || {{ id_expr }} end
{%- endmacro %}

{#
  The HubSpot deal id an invoice's deal reference names: its trailing run of digits
  ("HS-DEAL-26504620371" and "26504620371" both name deal 26504620371). An exact id, so the
  integrity marts join invoices to deals on equality: the former `like '%' || deal_id`
  forced a nested-loop join (paid invoices x deals: quadratic in the company's size) and
  matched deal 123 to a reference ending in ...99123.
#}
{% macro referenced_deal_id(reference) -%}
    nullif(regexp_extract({{ reference }}, '([0-9]+)$', 1), '')
{%- endmacro %}

{#
  AR / AP documents open at the end of each as-of date, one row per document and date:
  issued on or before it, not voided or deleted, less the payments and credits applied
  on or before it (int_allocations, dated by the payment). `as_of_sql` is any relation
  with a date column `as_of_date`. ar_ap_aging uses it for every week end and month end;
  an analyst can compile it for any date:

      dbt compile --inline "{{ '{{' }} ar_ap_open_items(\"(select date '2025-06-30' as as_of_date)\") {{ '}}' }}"

  (docs/marts.md has the same query written out for `ledgerlake sql`).
#}
{% macro ar_ap_open_items(as_of_sql) -%}
    select
        a.as_of_date,
        d.document_key,
        d.entity_id,
        d.document_kind,
        d.contact_key,
        d.contact_name,
        d.currency,
        d.issued_on,
        coalesce(d.due_date, d.issued_on) as due_date,
        d.total_amount - coalesce(sum(al.amount), 0) as open_amount,
        greatest({{ days_between('coalesce(d.due_date, d.issued_on)', 'a.as_of_date') }}, 0) as days_overdue
    from ({{ as_of_sql }}) as a
    join {{ ref('int_ar_ap_documents') }} as d
        on d.issued_on <= a.as_of_date and not d.is_voided and not d.is_deleted
    left join {{ ref('int_allocations') }} as al
        on al.document_key = d.document_key and al.applied_on <= a.as_of_date
    group by a.as_of_date, d.document_key, d.entity_id, d.document_kind, d.contact_key, d.contact_name, d.currency,
             d.issued_on, d.due_date, d.total_amount
    having d.total_amount - coalesce(sum(al.amount), 0) <> 0
{%- endmacro %}

{# The dashboard's aging buckets, by whole days past due. #}
{% macro aging_bucket(days_expr) -%}
    case when {{ days_expr }} <= 0 then 'current'
         when {{ days_expr }} <= 30 then '1-30'
         when {{ days_expr }} <= 60 then '31-60'
         when {{ days_expr }} <= 90 then '61-90'
         else '90+' end
{%- endmacro %}

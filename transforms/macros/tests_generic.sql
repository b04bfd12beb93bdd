{#
  Generic tests (dbt_utils cannot be installed: `dbt deps` has no network here).
#}

{# One query for a primary key: no NULLs and no duplicates (one or several columns). #}
{% test primary_key(model, column_name=none, columns=none) %}
{%- set cols = columns if columns else [column_name] -%}
select {{ cols | join(', ') }}, count(*) as n
from {{ model }}
group by {{ cols | join(', ') }}
having count(*) > 1 or {% for c in cols %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

{# The rows of `model` sum to zero in `column_name` within each group (a balanced journal). #}
{% test sums_to_zero(model, column_name, group_by, tolerance=0) %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }})) > {{ tolerance }}
{% endtest %}

{# Every row satisfies a boolean SQL expression. #}
{% test expression_is_true(model, expression, where_clause=none) %}
select * from {{ model }}
where not ({{ expression }}){% if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

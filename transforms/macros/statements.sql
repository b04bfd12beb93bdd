{# The profit-and-loss line of a revenue or expense journal line: one home for profit_and_loss and
   the consolidation. #}
{% macro pl_line(account_class, is_operating_revenue, is_cost_of_sales) -%}
    case
        when {{ account_class }} = 'revenue' and {{ is_operating_revenue }} then 'revenue'
        when {{ account_class }} = 'revenue' then 'other_income'
        when {{ is_cost_of_sales }} then 'cost_of_sales'
        else 'operating_expense'
    end
{%- endmacro %}

{# A P&L line's amount with its natural sign: revenue and other income credit-positive, costs debit-positive. #}
{% macro pl_signed(pl_line_expr, amount_expr) -%}
    case when {{ pl_line_expr }} in ('revenue', 'other_income') then -{{ amount_expr }} else {{ amount_expr }} end
{%- endmacro %}

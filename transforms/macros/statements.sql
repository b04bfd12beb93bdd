{# The profit-and-loss line of a revenue or expense journal line: one home for profit_and_loss and
   the consolidation. FX gains and losses on foreign-currency documents are lines of their own,
   whatever account the ledger books them to (QBO books realised and unrealised to one
   "Exchange Gain or Loss" account): `fx_realised` on payment, `fx_unrealised` for the month-end
   revaluations and their reversals (int_fx_gain_loss_lines' document types). #}
{% macro pl_line(account_class, is_operating_revenue, is_cost_of_sales, document_type) -%}
    case
        when {{ document_type }} = 'FxRealised' then 'fx_realised'
        when {{ document_type }} in ('FxRevaluation', 'FxRevaluationReversal') then 'fx_unrealised'
        when {{ account_class }} = 'revenue' and {{ is_operating_revenue }} then 'revenue'
        when {{ account_class }} = 'revenue' then 'other_income'
        when {{ is_cost_of_sales }} then 'cost_of_sales'
        else 'operating_expense'
    end
{%- endmacro %}

{# The P&L lines shown credit-positive (income; FX gains positive, losses negative). #}
{% macro pl_income_lines() -%}
    ('revenue', 'other_income', 'fx_realised', 'fx_unrealised')
{%- endmacro %}

{# A P&L line's amount with its natural sign: income lines credit-positive, costs debit-positive. #}
{% macro pl_signed(pl_line_expr, amount_expr) -%}
    case when {{ pl_line_expr }} in {{ pl_income_lines() }} then -{{ amount_expr }} else {{ amount_expr }} end
{%- endmacro %}

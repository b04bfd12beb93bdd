{#
  The process KPIs of #19 in the finance KPI marts, one home for the daily, weekly and
  monthly marts: the counts summed over a period's days (`process_kpi_sums`), then the rates
  rebuilt from those sums, never averaged (`process_kpi_columns`, `t` the relation holding
  the sums, with its dot: 'w.', or '' for none).
#}
{% macro process_kpi_sums() -%}
    sum(invoices_issued) as invoices_issued,
        sum(invoices_voided) as invoices_voided,
        sum(invoices_credited) as invoices_credited,
        sum(invoices_in_error) as invoices_in_error,
        sum(bills_paid) as bills_paid,
        sum(duplicate_bills_paid) as duplicate_bills_paid,
        sum(bank_lines) as bank_lines,
        sum(bank_lines_matched) as bank_lines_matched,
        sum(bank_lines_auto_coded) as bank_lines_auto_coded,
        sum(judged_auto_codes) as judged_auto_codes,
        sum(correct_auto_codes) as correct_auto_codes,
        sum(invoices_corrected) as invoices_corrected
{%- endmacro %}

{% macro process_kpi_columns(t) -%}
    {{ t }}invoices_issued,
    {{ t }}invoices_voided,
    {{ t }}invoices_credited,
    {{ t }}invoices_in_error,
    {{ ratio(t ~ 'invoices_in_error * 100', t ~ 'invoices_issued') }} as invoice_error_rate_pct,
    {{ t }}bills_paid,
    {{ t }}duplicate_bills_paid,
    {{ ratio(t ~ 'duplicate_bills_paid * 100', t ~ 'bills_paid') }} as duplicate_payment_rate_pct,
    -- bank reconciliation and coding (NULL before the bank feed)
    {{ t }}bank_lines,
    {{ t }}bank_lines_matched,
    {{ ratio(t ~ 'bank_lines_matched * 100', t ~ 'bank_lines') }} as auto_match_rate_pct,
    {{ t }}bank_lines_auto_coded,
    {{ ratio(t ~ 'bank_lines_auto_coded * 100', t ~ 'bank_lines - ' ~ t ~ 'bank_lines_matched') }} as auto_coding_coverage_pct,
    {{ t }}judged_auto_codes,
    {{ t }}correct_auto_codes,
    {{ ratio(t ~ 'correct_auto_codes * 100', t ~ 'judged_auto_codes') }} as auto_coding_precision_pct
{%- endmacro %}

{# The columns added after the marts' column order was published, for the END of each select
   list: invoices edited in place after issue (int_invoice_corrections; also in invoices_in_error). #}
{% macro process_kpi_tail_columns(t) -%}
    {{ t }}invoices_corrected
{%- endmacro %}

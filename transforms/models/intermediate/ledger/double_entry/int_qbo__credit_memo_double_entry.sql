-- QBO credit memos: Dr each line's income account, Cr receivable (the total).
{{ qbo_header_lines_double_entry(
    'CreditMemo', 'stg_qbo__credit_memos', 'stg_qbo__credit_memo_lines', 'credit_memo_id',
    header_account='c.ar_account_id', header_sign=-1, contact='d.customer_id',
    description="'Credit memo ' || coalesce(d.doc_number, d.credit_memo_id)") }}

-- QBO invoices: Dr receivable (the total), Cr each line's income account.
{{ qbo_header_lines_double_entry(
    'Invoice', 'stg_qbo__invoices', 'stg_qbo__invoice_lines', 'invoice_id',
    header_account='c.ar_account_id', header_sign=1, contact='d.customer_id',
    description="'Invoice ' || coalesce(d.doc_number, d.invoice_id)") }}

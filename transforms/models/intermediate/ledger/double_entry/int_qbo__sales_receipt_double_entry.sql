-- QBO sales receipts: Dr the deposit account (the total), Cr each line's income account.
{{ qbo_header_lines_double_entry(
    'SalesReceipt', 'stg_qbo__sales_receipts', 'stg_qbo__sales_receipt_lines', 'sales_receipt_id',
    header_account='d.deposit_account_id', header_sign=1, contact='d.customer_id',
    description="'Sales receipt'") }}

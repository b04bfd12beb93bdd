-- One row per line of a QBO SalesReceipt (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('SalesReceipt', 'sales_receipt', 'SalesItemLineDetail') }}

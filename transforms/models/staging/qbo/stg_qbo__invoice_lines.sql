-- One row per line of a QBO Invoice (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('Invoice', 'invoice', 'SalesItemLineDetail') }}

-- One row per line of a QBO Purchase (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('Purchase', 'purchase', 'AccountBasedExpenseLineDetail') }}

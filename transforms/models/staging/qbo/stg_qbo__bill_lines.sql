-- One row per line of a QBO Bill (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('Bill', 'bill', 'AccountBasedExpenseLineDetail') }}

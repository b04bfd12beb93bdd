-- One row per line of a QBO CreditMemo (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('CreditMemo', 'credit_memo', 'SalesItemLineDetail') }}

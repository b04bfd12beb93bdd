-- One row per line of a QBO Deposit (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('Deposit', 'deposit', 'DepositLineDetail') }}

-- One row per line of a QBO JournalEntry (detail lines only; subtotal lines are skipped).
{{ qbo_document_lines('JournalEntry', 'journal_entry', 'JournalEntryLineDetail') }}

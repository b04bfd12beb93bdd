-- Rule 2, reference_many_ledger. Grain: one row per pair it matched: a bank line quoting
-- several open ledger lines that sum to it (one transfer paying several invoices).
{{ bank_match_reference_many('reference_many_ledger', one='bank', many='ledger') }}

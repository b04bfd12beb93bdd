-- Rule 3, reference_many_bank. Grain: one row per pair it matched: several open bank lines
-- quoting one ledger line and summing to it (one payment split in several transfers).
{{ bank_match_reference_many('reference_many_bank', one='ledger', many='bank') }}

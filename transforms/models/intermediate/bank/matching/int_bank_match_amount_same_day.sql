-- Rule 6, amount_same_day. Grain: one row per pair it matched: the n-th open line of an
-- amount on an account and day meets the n-th on the other side.
{{ bank_match_by_amount('amount_same_day', same_day=true) }}

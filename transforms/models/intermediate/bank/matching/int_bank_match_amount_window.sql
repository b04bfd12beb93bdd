-- Rule 7, amount_window. Grain: one row per pair it matched: what is left, the n-th open
-- line of an amount on an account on each side in date order, within the match window.
{{ bank_match_by_amount('amount_window', same_day=false) }}

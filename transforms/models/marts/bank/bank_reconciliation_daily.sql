-- Grain: one row per bank-feed account and day with posted lines: how many of the day's
-- lines ledgerlake matched to the ledger (exact and fuzzy rules), how many of the rest are
-- coded (auto-applied suggestions, people's corrections) or wait for review, and the match
-- rate. `judged_auto_codes` / `correct_auto_codes`: auto-applied codes of the day's lines
-- that were later judged, by a person's correction or by the bookkeeper booking the line,
-- and how many of those agreed (the auto-coding precision, kept honest after the fact).
with lines as (
    select * from {{ ref('int_bank_lines') }}
),

matched as (
    select
        bank_line_id,
        max(case when is_exact then 1 else 0 end) as is_exact
    from {{ ref('bank_matches') }}
    group by bank_line_id
),

first_auto as (
-- the first auto-applied suggestion for each line, whatever happened later
    {{ dedupe("select * from " ~ ref('stg_ledgerlake__coding_suggestions') ~ " where status = 'auto_applied'",
              'bank_line_id', 'suggested_at, run_id') }}
),

correction as (
    {{ dedupe(
        'select * from ' ~ ref('stg_ledgerlake__coding_corrections'),
        'bank_line_id',
        'corrected_at desc, correction_id desc'
    ) }}
),

judged as (
    select
        f.bank_line_id,
        case when coalesce(c.account_code, h.account_code) = f.account_code then 1 else 0 end as is_correct
    from first_auto as f
    left join correction as c on c.bank_line_id = f.bank_line_id
    left join {{ ref('bank_coded_history') }} as h on h.bank_line_id = f.bank_line_id
    where c.account_code is not null or h.account_code is not null
),

per_line as (
    select
        l.bank_account_id,
        l.entity_id,
        l.currency,
        l.line_date,
        case when m.bank_line_id is not null then 1 else 0 end as is_matched,
        coalesce(m.is_exact, 0) as is_exact,
        case when u.coding_status = 'auto_coded' then 1 else 0 end as is_auto_coded,
        case when u.coding_status = 'corrected' then 1 else 0 end as is_corrected,
        case when u.needs_review then 1 else 0 end as is_review,
        case when j.bank_line_id is not null then 1 else 0 end as is_judged,
        coalesce(j.is_correct, 0) as is_correct
    from lines as l
    left join matched as m on m.bank_line_id = l.bank_line_id
    left join {{ ref('bank_unmatched') }} as u on u.bank_line_id = l.bank_line_id
    left join judged as j on j.bank_line_id = l.bank_line_id
)

select
    bank_account_id || ':' || cast(line_date as varchar) as account_day_key,
    bank_account_id,
    entity_id,
    currency,
    line_date,
    count(*) as lines,
    sum(is_matched) as matched_lines,
    sum(is_exact) as exact_matched_lines,
    sum(is_matched) - sum(is_exact) as fuzzy_matched_lines,
    count(*) - sum(is_matched) as unmatched_lines,
    sum(is_auto_coded) as auto_coded_lines,
    sum(is_corrected) as corrected_lines,
    sum(is_review) as review_lines,
    {{ ratio('sum(is_matched) * 100', 'count(*)') }} as match_rate_pct,
    {{ ratio('(sum(is_matched) + sum(is_auto_coded) + sum(is_corrected)) * 100', 'count(*)') }} as explained_rate_pct,
    sum(is_judged) as judged_auto_codes,
    sum(is_correct) as correct_auto_codes
from per_line
group by bank_account_id, entity_id, currency, line_date

-- One row per entity and day with bank-feed data (from its first bank line to the last
-- bank-feed day): the reconciliation and coding KPIs appended to finance_kpis_entity_daily.
--   auto_match_rate_pct       the day's bank lines matched to the ledger by ledgerlake's rules
--   auto_coding_coverage_pct  of the day's unmatched lines, the share coded automatically
--   auto_coding_precision_pct of the day's auto-applied codes later judged (a correction, or
--                             the line booked in the ledger), the share that agreed
--   unreconciled_lines        lines dated on or before the day still waiting for a person
--                             (no ledger match, no applied code), and the oldest one's age
--   last_closed_month         the latest month, ended on or before the day, whose bank lines
--                             are all matched or coded; days_since_close counts from its end
with daily as (
    select
        entity_id,
        line_date,
        sum(lines) as lines,
        sum(matched_lines) as matched_lines,
        sum(unmatched_lines) as unmatched_lines,
        sum(auto_coded_lines) as auto_coded_lines,
        sum(judged_auto_codes) as judged_auto_codes,
        sum(correct_auto_codes) as correct_auto_codes
    from {{ ref('bank_reconciliation_daily') }}
    group by entity_id, line_date
),

bounds as (
    select
        entity_id,
        min(line_date) as first_day,
        max(line_date) as last_day
    from daily
    group by entity_id
),

grid as (
    select
        b.entity_id,
        s.day
    from bounds as b
    cross join {{ date_spine('(select min(first_day) from bounds)', '(select max(last_day) from bounds)') }} as s
    where s.day >= b.first_day and s.day <= b.last_day
),

waiting as (
    select
        entity_id,
        line_date
    from {{ ref('bank_unmatched') }}
    where needs_review
),

open_queue as (
    select
        g.entity_id,
        g.day,
        count(w.line_date) as unreconciled_lines,
        max({{ days_between('w.line_date', 'g.day') }}) as oldest_unreconciled_days
    from grid as g
    left join waiting as w on w.entity_id = g.entity_id and w.line_date <= g.day
    group by g.entity_id, g.day
),

open_months as (
    -- months with at least one line still waiting
    select distinct
        entity_id,
        {{ month_start('line_date') }} as period_month
    from waiting
),

closed as (
    -- for each day: the latest month that has ended by then, has bank lines and none waiting
    select
        g.entity_id,
        g.day,
        max({{ month_start('d.line_date') }}) as last_closed_month
    from grid as g
    inner join daily as d
        on d.entity_id = g.entity_id and {{ month_end('d.line_date') }} <= g.day
    left join open_months as o
        on o.entity_id = d.entity_id and o.period_month <= {{ month_start('d.line_date') }}
    where o.entity_id is null
    group by g.entity_id, g.day
)

select
    g.entity_id || ':' || cast(g.day as varchar) as bank_kpi_key,
    g.entity_id,
    g.day,
    coalesce(d.lines, 0) as bank_lines,
    coalesce(d.matched_lines, 0) as bank_lines_matched,
    {{ ratio('d.matched_lines * 100', 'd.lines') }} as auto_match_rate_pct,
    coalesce(d.auto_coded_lines, 0) as bank_lines_auto_coded,
    {{ ratio('d.auto_coded_lines * 100', 'd.unmatched_lines') }} as auto_coding_coverage_pct,
    coalesce(d.judged_auto_codes, 0) as judged_auto_codes,
    coalesce(d.correct_auto_codes, 0) as correct_auto_codes,
    {{ ratio('d.correct_auto_codes * 100', 'd.judged_auto_codes') }} as auto_coding_precision_pct,
    q.unreconciled_lines,
    q.oldest_unreconciled_days,
    c.last_closed_month,
    {{ days_between(month_end('c.last_closed_month'), 'g.day') }} as days_since_close
from grid as g
left join daily as d on d.entity_id = g.entity_id and d.line_date = g.day
left join open_queue as q on q.entity_id = g.entity_id and q.day = g.day
left join closed as c on c.entity_id = g.entity_id and c.day = g.day

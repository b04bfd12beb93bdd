-- One row per legal entity, calendar month and consolidation line, in the reporting currency:
--   P&L lines (statement `pnl`: revenue, other_income, cost_of_sales, operating_expense) at the
--     month's average rate;
--   balance-sheet lines (statement `balance_sheet`, at the month end): assets and liabilities at
--     the closing rate; equity at the historical rates of its postings (each line at its day's
--     rate, general_ledger.reporting_amount); earnings to date as the sum of the months'
--     translated P&L; and the cumulative translation adjustment (`cta`) that the translation
--     leaves: translated assets - liabilities - equity - earnings (0 for an entity whose
--     currency is the reporting currency). CTA lands in equity (other comprehensive income).
-- `eliminated_amount` is the intercompany part consolidation removes (accounts listed in
-- seeds/intercompany_accounts.csv), translated like its line; on the `cta` line it is what the
-- other eliminations leave (the two sides of an intercompany balance translated at different
-- rates than they were booked at do not cancel exactly), so the consolidated balance sheet
-- balances. Consolidated = sum over entities of (reporting_amount - eliminated_amount).
{%- set reporting = "'" ~ var('reporting_currency') ~ "'" %}
with entities as (
    select
        entity_id,
        functional_currency
    from {{ ref('legal_entities') }}
),

intercompany as (
    select
        a.entity_id,
        a.account_key
    from {{ ref('int_ledger_accounts') }} as a
    inner join {{ ref('intercompany_accounts') }} as ic
        on ic.entity_id = a.entity_id and ic.account_code = a.account_code
),

gl as (
    select
        g.*,
        ic.account_key is not null as is_intercompany,
        {{ pl_line('g.account_class', 'g.is_operating_revenue', 'g.is_cost_of_sales') }} as pl_line
    from {{ ref('general_ledger') }} as g
    left join intercompany as ic on ic.entity_id = g.entity_id and ic.account_key = g.account_key
),

months as (
    select distinct
        b.entity_id,
        cast({{ dbt.date_trunc('month', 'b.month_end') }} as date) as period_month
    from {{ ref('balance_sheet') }} as b
),

rates as (
    select
        m.entity_id,
        m.period_month,
        e.functional_currency,
        {{ rate_or_identity('e.functional_currency', reporting, 'r.average_rate') }} as average_rate,
        {{ rate_or_identity('e.functional_currency', reporting, 'r.closing_rate') }} as closing_rate
    from months as m
    inner join entities as e on e.entity_id = m.entity_id
    left join {{ ref('int_consolidation_rates') }} as r
        on r.currency = e.functional_currency and r.period_month = m.period_month
),

pnl_functional as (
    select
        gl.entity_id,
        gl.period_month,
        gl.pl_line as line,
        sum({{ pl_signed('gl.pl_line', 'gl.functional_amount') }}) as functional_amount,
        sum(case when gl.is_intercompany then {{ pl_signed('gl.pl_line', 'gl.functional_amount') }} else 0 end)
            as intercompany_amount
    from gl
    where gl.account_class in ('revenue', 'expense')
    group by gl.entity_id, gl.period_month, gl.pl_line
),

pnl as (
    select
        p.entity_id,
        p.period_month,
        'pnl' as statement,
        p.line,
        r.functional_currency,
        p.functional_amount,
        'average' as rate_kind,
        r.average_rate as rate,
        {{ convert('p.functional_amount', 'r.average_rate', reporting) }} as reporting_amount,
        {{ convert('p.intercompany_amount', 'r.average_rate', reporting) }} as eliminated_amount
    from pnl_functional as p
    inner join rates as r on r.entity_id = p.entity_id and r.period_month = p.period_month
),

earnings_by_month as (
    -- the month's translated P&L (credit-positive), and its intercompany part
    select
        entity_id,
        period_month,
        sum(case when line in ('revenue', 'other_income') then reporting_amount else -reporting_amount end) as earnings,
        sum(case when line in ('revenue', 'other_income') then eliminated_amount else -eliminated_amount end)
            as eliminated_earnings
    from pnl
    group by entity_id, period_month
),

balances as (
    select
        b.entity_id,
        cast({{ dbt.date_trunc('month', 'b.month_end') }} as date) as period_month,
        b.total_assets,
        b.total_liabilities,
        b.total_equity,
        b.earnings_to_date
    from {{ ref('balance_sheet') }} as b
),

month_grid as (
    select
        b.entity_id,
        b.period_month,
        m.period_month as through_month
    from balances as b
    inner join months as m on m.entity_id = b.entity_id and m.period_month <= b.period_month
),

equity_by_month as (
    select
        entity_id,
        period_month,
        -sum(reporting_amount) as equity
    from gl
    where account_class = 'equity'
    group by entity_id, period_month
),

historical as (
    -- equity at the rates of its postings, earnings at each month's average, to the month end
    select
        g.entity_id,
        g.period_month,
        coalesce(sum(eq.equity), 0) as equity,
        coalesce(sum(em.earnings), 0) as earnings,
        coalesce(sum(em.eliminated_earnings), 0) as eliminated_earnings
    from month_grid as g
    left join equity_by_month as eq on eq.entity_id = g.entity_id and eq.period_month = g.through_month
    left join earnings_by_month as em on em.entity_id = g.entity_id and em.period_month = g.through_month
    group by g.entity_id, g.period_month
),

intercompany_balances as (
    -- closing balances of intercompany accounts (assets debit-positive, liabilities credit-positive)
    select
        t.entity_id,
        t.period_month,
        sum(case when t.account_class = 'asset' then t.closing_balance else 0 end) as assets,
        sum(case when t.account_class = 'liability' then -t.closing_balance else 0 end) as liabilities
    from {{ ref('trial_balance') }} as t
    inner join intercompany as ic on ic.entity_id = t.entity_id and ic.account_key = t.account_key
    group by t.entity_id, t.period_month
),

balance_sheet as (
    select
        b.entity_id,
        b.period_month,
        r.functional_currency,
        b.total_assets as assets,
        b.total_liabilities as liabilities,
        b.total_equity as equity,
        b.earnings_to_date as earnings,
        r.closing_rate,
        {{ convert('b.total_assets', 'r.closing_rate', reporting) }} as assets_reporting,
        {{ convert('b.total_liabilities', 'r.closing_rate', reporting) }} as liabilities_reporting,
        h.equity as equity_reporting,
        h.earnings as earnings_reporting,
        {{ convert('coalesce(ic.assets, 0)', 'r.closing_rate', reporting) }} as assets_eliminated,
        {{ convert('coalesce(ic.liabilities, 0)', 'r.closing_rate', reporting) }} as liabilities_eliminated,
        h.eliminated_earnings as earnings_eliminated
    from balances as b
    inner join rates as r on r.entity_id = b.entity_id and r.period_month = b.period_month
    inner join historical as h on h.entity_id = b.entity_id and h.period_month = b.period_month
    left join intercompany_balances as ic on ic.entity_id = b.entity_id and ic.period_month = b.period_month
),

balance_sheet_lines as (
    select
        entity_id,
        period_month,
        'assets' as line,
        functional_currency,
        assets as functional_amount,
        'closing' as rate_kind,
        closing_rate as rate,
        assets_reporting as reporting_amount,
        assets_eliminated as eliminated_amount
    from balance_sheet
    union all
    select
        entity_id,
        period_month,
        'liabilities' as line,
        functional_currency,
        liabilities as functional_amount,
        'closing' as rate_kind,
        closing_rate as rate,
        liabilities_reporting as reporting_amount,
        liabilities_eliminated as eliminated_amount
    from balance_sheet
    union all
    select
        entity_id,
        period_month,
        'equity' as line,
        functional_currency,
        equity as functional_amount,
        'historical' as rate_kind,
        cast(null as decimal(38, 10)) as rate,
        equity_reporting as reporting_amount,
        cast(0 as {{ money_type() }}) as eliminated_amount
    from balance_sheet
    union all
    select
        entity_id,
        period_month,
        'earnings' as line,
        functional_currency,
        earnings as functional_amount,
        'average' as rate_kind,
        cast(null as decimal(38, 10)) as rate,
        earnings_reporting as reporting_amount,
        earnings_eliminated as eliminated_amount
    from balance_sheet
    union all
    select
        entity_id,
        period_month,
        'cta' as line,
        functional_currency,
        cast(0 as {{ money_type() }}) as functional_amount,
        'derived' as rate_kind,
        cast(null as decimal(38, 10)) as rate,
        assets_reporting - liabilities_reporting - equity_reporting - earnings_reporting as reporting_amount,
        assets_eliminated - liabilities_eliminated - earnings_eliminated as eliminated_amount
    from balance_sheet
),

all_lines as (
    select
        entity_id,
        period_month,
        statement,
        line,
        functional_currency,
        functional_amount,
        rate_kind,
        rate,
        reporting_amount,
        eliminated_amount
    from pnl
    union all
    select
        entity_id,
        period_month,
        'balance_sheet' as statement,
        line,
        functional_currency,
        functional_amount,
        rate_kind,
        rate,
        reporting_amount,
        eliminated_amount
    from balance_sheet_lines
)

select
    entity_id || ':' || cast(period_month as varchar) || ':' || statement || ':' || line as consolidation_line_key,
    entity_id,
    period_month,
    cast({{ dbt.last_day('period_month', 'month') }} as date) as month_end,
    statement,
    line,
    functional_currency,
    cast(functional_amount as {{ money_type() }}) as functional_amount,
    rate_kind,
    rate,
    {{ reporting }} as reporting_currency,
    cast(reporting_amount as {{ money_type() }}) as reporting_amount,
    cast(eliminated_amount as {{ money_type() }}) as eliminated_amount
from all_lines

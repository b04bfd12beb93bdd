-- Grain: one row per legal entity and calendar day, from the entity's first ledger or bank
-- day to the last bank-feed day: the day's finance KPIs in the entity's functional
-- currency and in the reporting currency at the day's rate (fx_rate), the inputs the
-- consolidated daily / weekly KPI marts and the per-entity monthly mart are built from.
--   revenue           operating revenue posted that day (as revenue_by_month, accrual)
--   cost_of_sales     postings to cost-of-sales accounts (QBO Cost of Goods Sold, Xero DIRECTCOSTS)
--   bookings          HubSpot deals won that day (deal amount; entity by pipeline, seeds/crm_pipeline_entities.csv)
--                     + orders placed that day that are not subscription renewals (tax-exclusive)
--   collections       customer payments applied to sales invoices + processor sales (gross) − processor refunds
--   cash_balance      closing bank balance of the entity's bank-feed accounts (cash_by_account_day)
--   cash_in/cash_out  the ledger's bank movements, netted per document: transfers between the
--                     entity's own bank accounts cancel, documents settled only against equity
--                     (opening balances, capital) are financing and left out
--   gross_burn        cash_out;  net_burn = cash_out − cash_in (negative: cash generative)
--   ar_open / ap_open / ar_overdue   open receivables / payables (past due) at the day's end
-- Amounts are DECIMAL; a foreign-currency line converts at its own day's rate.
{%- set reporting = var('reporting_currency') %}
with entities as (
    select
        entity_id,
        functional_currency
    from {{ ref('legal_entities') }}
),

last_day as (
    select max(balance_date) as last_day from {{ ref('cash_by_account_day') }}
),

first_days as (
    select
        entity_id,
        min(day) as first_day
    from (
        select
            entity_id,
            posted_on as day
        from {{ ref('general_ledger') }}
        union all
        select
            entity_id,
            balance_date
        from {{ ref('cash_by_account_day') }}
        where entity_id is not null
    ) as d
    group by entity_id
),

grid as (
    select
        e.entity_id,
        e.functional_currency,
        s.day
    from entities as e
    join first_days as f using (entity_id)
    cross join last_day as l
    cross join {{ date_spine('(select min(first_day) from first_days)', '(select last_day from last_day)') }} as s
    where s.day >= f.first_day and s.day <= l.last_day
),

-- a transaction-currency amount into the functional currency at the day's rate
pair_rates as (
    select
        base_currency,
        quote_currency,
        rate_date,
        rate
    from {{ ref('int_fx_pair_rates_daily') }}
),

ledger as (
    select
        entity_id,
        posted_on as day,
        -sum(case when is_operating_revenue then functional_amount else 0 end) as revenue,
        sum(case when is_cost_of_sales then functional_amount else 0 end) as cost_of_sales
    from {{ ref('general_ledger') }}
    where account_class in ('revenue', 'expense')
    group by entity_id, posted_on
),

-- a deal in a currency only one entity keeps belongs to that entity
currency_entities as (
    select
        functional_currency,
        min(entity_id) as entity_id
    from entities
    group by functional_currency
    having count(*) = 1
),

won_deals as (
    select
        coalesce(pe.entity_id, ce.entity_id) as entity_id,
        d.close_date as day,
        d.currency,
        sum(d.amount) as amount
    from {{ ref('crm_deals') }} as d
    left join {{ ref('crm_pipeline_entities') }} as pe on pe.pipeline_id = d.pipeline_id
    left join currency_entities as ce on ce.functional_currency = d.currency
    where d.is_won and d.amount is not null
    group by coalesce(pe.entity_id, ce.entity_id), d.close_date, d.currency
),

new_orders as (
    select
        entity_id,
        order_date as day,
        currency,
        sum(net_amount) as amount
    from {{ ref('orders') }}
    where not is_renewal and not is_cancelled and not is_deleted
    group by entity_id, order_date, currency
),

bookings as (
    select
        entity_id,
        day,
        currency,
        amount
    from won_deals
    union all
    select
        entity_id,
        day,
        currency,
        amount
    from new_orders
),

processor_sales as (
    select
        o.entity_id,
        o.order_date as day,
        o.currency,
        sum(o.gross_amount) as amount
    from {{ ref('orders') }} as o
    where not o.is_cancelled and not o.is_deleted
    group by o.entity_id, o.order_date, o.currency
    union all
    select
        o.entity_id,
        cast(r.created_at as date) as day,
        o.currency,
        -sum(r.amount) as amount
    from {{ ref('stg_stripe__refunds') }} as r
    join {{ ref('orders') }} as o on o.order_key = 'stripe:' || r.charge_id
    where coalesce(r.status, 'succeeded') in ('succeeded', 'pending')
    group by o.entity_id, cast(r.created_at as date), o.currency
    union all
    select
        o.entity_id,
        cast(r.processed_at as date) as day,
        o.currency,
        -sum(r.amount) as amount
    from {{ ref('stg_shopify__refunds') }} as r
    join {{ ref('orders') }} as o on o.order_key = 'shopify:' || r.order_id
    group by o.entity_id, cast(r.processed_at as date), o.currency
),

collections as (
    select
        d.entity_id,
        a.applied_on as day,
        d.currency,
        sum(a.amount) as amount
    from {{ ref('int_allocations') }} as a
    join {{ ref('int_ar_ap_documents') }} as d using (document_key)
    where d.document_kind = 'AR' and a.payment_type = 'Payment'
    group by d.entity_id, a.applied_on, d.currency
    union all
    select
        entity_id,
        day,
        currency,
        amount
    from processor_sales
),

-- flows in a transaction currency → functional, day by day
foreign_flows as (
    select
        'bookings' as measure,
        entity_id,
        day,
        currency,
        amount
    from bookings
    union all
    select
        'collections' as measure,
        entity_id,
        day,
        currency,
        amount
    from collections
),

flows as (
    select
        f.measure,
        f.entity_id,
        f.day,
        sum(case
            when f.currency = e.functional_currency then f.amount
            else {{ convert('f.amount', 'r.rate', 'e.functional_currency') }}
        end) as amount
    from foreign_flows as f
    join entities as e using (entity_id)
    left join pair_rates as r
        on r.base_currency = f.currency and r.quote_currency = e.functional_currency and r.rate_date = f.day
    group by f.measure, f.entity_id, f.day
),

cash as (
    select
        c.entity_id,
        c.balance_date as day,
        sum(case
            when c.currency = e.functional_currency then c.balance
            else {{ convert('c.balance', 'r.rate', 'e.functional_currency') }}
        end) as cash_balance
    from {{ ref('cash_by_account_day') }} as c
    join entities as e using (entity_id)
    left join pair_rates as r
        on r.base_currency = c.currency and r.quote_currency = e.functional_currency and r.rate_date = c.balance_date
    group by c.entity_id, c.balance_date
),

bank_documents as (
    -- each document's net effect on the entity's bank accounts, and whether anything but
    -- equity sits on the other side
    select
        entity_id,
        posted_on as day,
        source_system,
        document_type,
        document_id,
        sum(case when is_bank then functional_amount else 0 end) as bank_net,
        max(case when not is_bank and account_class != 'equity' then 1 else 0 end) as has_operating_side
    from {{ ref('general_ledger') }}
    group by entity_id, posted_on, source_system, document_type, document_id
),

bank_flows as (
    select
        entity_id,
        day,
        sum(case when bank_net > 0 then bank_net else 0 end) as cash_in,
        sum(case when bank_net < 0 then -bank_net else 0 end) as cash_out
    from bank_documents
    where has_operating_side = 1 and bank_net != 0
    group by entity_id, day
),

-- Sales invoices credited after issue. Xero: a credit note allocated to the invoice. QBO:
-- a credit memo applied to the invoice through a payment (LinkedTxn); one not applied is
-- attributed to its customer's latest invoice issued on or before it (a credit corrects
-- an invoice already sent; QBO records no link until the credit is applied).
qbo_credit_memos as (
    select
        {{ ledger_prefix('qbo', 'c.tenant_id') }} || ':' || c.customer_id as contact_key,
        c.txn_date,
        c.credit_memo_id
    from {{ ref('stg_qbo__credit_memos') }} as c
    where not c.is_deleted and not c.is_voided
),

qbo_applied_credits as (
    select distinct
        {{ ledger_prefix('qbo', 'i.tenant_id') }} || ':Invoice:' || i.applied_to_id as document_key,
        c.applied_to_id as credit_memo_id
    from {{ ref('stg_qbo__payment_allocations') }} as i
    join {{ ref('stg_qbo__payment_allocations') }} as c
        on
            c.tenant_id = i.tenant_id and c.payment_id = i.payment_id
            and c.applied_to_type = 'CreditMemo'
    where i.applied_to_type = 'Invoice'
),

qbo_unapplied_credits as (
    select
        m.credit_memo_id,
        max(d.issued_on) as invoice_day,
        m.contact_key
    from qbo_credit_memos as m
    join {{ ref('int_ar_ap_documents') }} as d
        on
            d.contact_key = m.contact_key and d.document_kind = 'AR' and d.source_system = 'qbo'
            and d.issued_on <= m.txn_date and not d.is_voided and not d.is_deleted
    where m.credit_memo_id not in (select a.credit_memo_id from qbo_applied_credits as a)
    group by m.credit_memo_id, m.contact_key
),

credited_invoices as (
    select distinct document_key
    from {{ ref('int_allocations') }}
    where payment_type = 'CreditNote'
    union
    select document_key
    from qbo_applied_credits
    union
    select max(d.document_key) as document_key
    from qbo_unapplied_credits as u
    join {{ ref('int_ar_ap_documents') }} as d
        on
            d.contact_key = u.contact_key and d.issued_on = u.invoice_day and d.document_kind = 'AR'
            and not d.is_voided and not d.is_deleted
    group by u.credit_memo_id
),

-- A QBO delete leaves only {"Id", "status": "Deleted"}: no TxnDate. Such an invoice counts
-- (as issued and in error) on the day it was deleted.
qbo_deleted_invoices as (
    select
        {{ ledger_prefix('qbo', 'tenant_id') }} || ':Invoice:' || invoice_id as document_key,
        cast(updated_at as date) as deleted_on
    from {{ ref('stg_qbo__invoices') }}
    where is_deleted and txn_date is null
),

documents as (
    select
        d.entity_id,
        coalesce(d.issued_on, x.deleted_on) as day,
        sum(
            case when d.document_kind = 'AR' and not d.is_voided and not d.is_deleted then d.total_amount else 0 end
        ) as ar_invoiced,
        sum(
            case when d.document_kind = 'AP' and not d.is_voided and not d.is_deleted then d.total_amount else 0 end
        ) as ap_billed,
        sum(case when d.document_kind = 'AR' then 1 else 0 end) as invoices_issued,
        sum(case when d.document_kind = 'AR' and (d.is_voided or d.is_deleted) then 1 else 0 end) as invoices_voided,
        sum(case when d.document_kind = 'AR' and c.document_key is not null then 1 else 0 end) as invoices_credited,
        sum(case
            when
                d.document_kind = 'AR'
                and (d.is_voided or d.is_deleted or c.document_key is not null or k.document_key is not null)
                then 1
            else 0
        end) as invoices_in_error,
        sum(case when d.document_kind = 'AR' and k.document_key is not null then 1 else 0 end) as invoices_corrected
    from {{ ref('int_ar_ap_documents') }} as d
    left join credited_invoices as c on c.document_key = d.document_key
    left join {{ ref('int_invoice_corrections') }} as k on k.document_key = d.document_key
    left join qbo_deleted_invoices as x on x.document_key = d.document_key
    group by d.entity_id, coalesce(d.issued_on, x.deleted_on)
),

paid_bills as (
    -- a bill is a duplicate when the same entity already has a bill from a supplier of the
    -- same normalized name, number and amount; counted on the day the bill was fully paid
    select
        d.entity_id,
        d.last_applied_on as day,
        count(*) as bills_paid,
        sum(case when exists (
            select 1 from {{ ref('ar_ap_documents') }} as o
            where
                o.entity_id = d.entity_id and o.document_kind = 'AP' and o.document_key != d.document_key
                and o.document_number = d.document_number and o.total_amount = d.total_amount
                and {{ normalize_name('o.contact_name') }} = {{ normalize_name('d.contact_name') }}
                and (o.issued_on < d.issued_on or (o.issued_on = d.issued_on and o.document_key < d.document_key))
                and not o.is_voided and not o.is_deleted
        ) then 1 else 0 end) as duplicate_bills_paid
    from {{ ref('ar_ap_documents') }} as d
    where d.document_kind = 'AP' and d.status = 'paid' and d.last_applied_on is not null
    group by d.entity_id, d.last_applied_on
),

open_items as (
    {{ ar_ap_open_items('select distinct day as as_of_date from grid') }}
),

open_balances as (
    select
        o.entity_id,
        o.as_of_date as day,
        sum(case
            when o.document_kind = 'AR'
                then
                    case
                        when o.currency = e.functional_currency then o.open_amount
                        else {{ convert('o.open_amount', 'r.rate', 'e.functional_currency') }}
                    end
        end) as ar_open,
        sum(case
            when o.document_kind = 'AR' and o.days_overdue > 0
                then
                    case
                        when o.currency = e.functional_currency then o.open_amount
                        else {{ convert('o.open_amount', 'r.rate', 'e.functional_currency') }}
                    end
        end) as ar_overdue,
        sum(case
            when o.document_kind = 'AP'
                then
                    case
                        when o.currency = e.functional_currency then o.open_amount
                        else {{ convert('o.open_amount', 'r.rate', 'e.functional_currency') }}
                    end
        end) as ap_open
    from open_items as o
    join entities as e using (entity_id)
    left join pair_rates as r
        on r.base_currency = o.currency and r.quote_currency = e.functional_currency and r.rate_date = o.as_of_date
    group by o.entity_id, o.as_of_date
),

daily as (
    select
        g.entity_id,
        g.day,
        g.functional_currency,
        coalesce(l.revenue, 0) as revenue,
        coalesce(l.cost_of_sales, 0) as cost_of_sales,
        coalesce(b.amount, 0) as bookings,
        coalesce(c.amount, 0) as collections,
        ca.cash_balance,
        coalesce(bf.cash_in, 0) as cash_in,
        coalesce(bf.cash_out, 0) as cash_out,
        coalesce(ob.ar_open, 0) as ar_open,
        coalesce(ob.ar_overdue, 0) as ar_overdue,
        coalesce(ob.ap_open, 0) as ap_open,
        coalesce(d.ar_invoiced, 0) as ar_invoiced,
        coalesce(d.ap_billed, 0) as ap_billed,
        coalesce(d.invoices_issued, 0) as invoices_issued,
        coalesce(d.invoices_voided, 0) as invoices_voided,
        coalesce(d.invoices_credited, 0) as invoices_credited,
        coalesce(d.invoices_in_error, 0) as invoices_in_error,
        coalesce(pb.bills_paid, 0) as bills_paid,
        coalesce(pb.duplicate_bills_paid, 0) as duplicate_bills_paid,
        coalesce(d.invoices_corrected, 0) as invoices_corrected
    from grid as g
    left join ledger as l on l.entity_id = g.entity_id and l.day = g.day
    left join flows as b on b.measure = 'bookings' and b.entity_id = g.entity_id and b.day = g.day
    left join flows as c on c.measure = 'collections' and c.entity_id = g.entity_id and c.day = g.day
    left join cash as ca on ca.entity_id = g.entity_id and ca.day = g.day
    left join bank_flows as bf on bf.entity_id = g.entity_id and bf.day = g.day
    left join open_balances as ob on ob.entity_id = g.entity_id and ob.day = g.day
    left join documents as d on d.entity_id = g.entity_id and d.day = g.day
    left join paid_bills as pb on pb.entity_id = g.entity_id and pb.day = g.day
),

reported as (
    select
        d.*,
        fx.rate as fx_rate,
        fx.published_on as fx_rate_date,
        {{ to_reporting('d.revenue', 'fx.rate') }} as revenue_reporting,
        {{ to_reporting('d.cost_of_sales', 'fx.rate') }} as cost_of_sales_reporting,
        {{ to_reporting('d.bookings', 'fx.rate') }} as bookings_reporting,
        {{ to_reporting('d.collections', 'fx.rate') }} as collections_reporting,
        {{ to_reporting('d.cash_balance', 'fx.rate') }} as cash_balance_reporting,
        {{ to_reporting('d.cash_in', 'fx.rate') }} as cash_in_reporting,
        {{ to_reporting('d.cash_out', 'fx.rate') }} as cash_out_reporting,
        {{ to_reporting('d.ar_open', 'fx.rate') }} as ar_open_reporting,
        {{ to_reporting('d.ar_overdue', 'fx.rate') }} as ar_overdue_reporting,
        {{ to_reporting('d.ap_open', 'fx.rate') }} as ap_open_reporting,
        {{ to_reporting('d.ar_invoiced', 'fx.rate') }} as ar_invoiced_reporting,
        {{ to_reporting('d.ap_billed', 'fx.rate') }} as ap_billed_reporting
    from daily as d
    left join {{ ref('int_fx_rates_daily') }} as fx on fx.currency = d.functional_currency and fx.rate_date = d.day
),

rolling as (
    -- trailing 90 days (the day and the 89 before it), for runway, DSO and DPO
    select
        r.*,
        count(*) over w as days_in_window,
        sum(r.cash_out - r.cash_in) over w as net_burn_90d,
        sum(r.ar_invoiced) over w as ar_invoiced_90d,
        sum(r.ap_billed) over w as ap_billed_90d
    from reported as r
    window w as (partition by entity_id order by day rows between 89 preceding and current row)
),

bank_kpis as (
    select
        entity_id as bank_entity_id,
        day as bank_day,
        bank_lines,
        bank_lines_matched,
        auto_match_rate_pct,
        bank_lines_auto_coded,
        auto_coding_coverage_pct,
        judged_auto_codes,
        correct_auto_codes,
        auto_coding_precision_pct,
        unreconciled_lines,
        oldest_unreconciled_days,
        last_closed_month,
        days_since_close
    from {{ ref('int_bank_kpis_entity_daily') }}
)

select
    r.entity_id || ':' || cast(r.day as varchar) as kpi_key,
    r.entity_id,
    r.day as date,
    {{ week_start('r.day') }} as week_start,
    {{ month_start('r.day') }} as period_month,
    -- functional currency
    r.functional_currency,
    r.revenue,
    r.cost_of_sales,
    r.bookings,
    r.collections,
    r.cash_balance,
    r.cash_in,
    r.cash_out,
    r.cash_out as gross_burn,
    r.cash_out - r.cash_in as net_burn,
    r.ar_open,
    r.ar_overdue,
    r.ap_open,
    r.ar_invoiced,
    r.ap_billed,
    r.net_burn_90d,
    r.ar_invoiced_90d,
    r.ap_billed_90d,
    -- ratios (functional currency; the same in any currency): runway = cash ÷ average monthly
    -- net burn over the trailing 90 days (NULL unless burning, or before 90 days of data);
    -- DSO / DPO = open AR / AP ÷ invoiced / billed in the trailing 90 days × 90
    case
        when r.days_in_window = 90 and r.net_burn_90d > 0 then {{ ratio('r.cash_balance * 3', 'r.net_burn_90d') }}
    end as runway_months,
    case when r.days_in_window = 90 then {{ ratio('r.ar_open * 90', 'r.ar_invoiced_90d', 1) }} end as dso_days,
    case when r.days_in_window = 90 then {{ ratio('r.ap_open * 90', 'r.ap_billed_90d', 1) }} end as dpo_days,
    {{ ratio('(r.revenue - r.cost_of_sales) * 100', 'r.revenue') }} as gross_margin_pct,
    r.invoices_issued,
    r.invoices_voided,
    r.invoices_credited,
    r.invoices_in_error,
    {{ ratio('r.invoices_in_error * 100', 'r.invoices_issued') }} as invoice_error_rate_pct,
    r.bills_paid,
    r.duplicate_bills_paid,
    {{ ratio('r.duplicate_bills_paid * 100', 'r.bills_paid') }} as duplicate_payment_rate_pct,
    -- reporting currency, at the day's rate
    '{{ reporting }}' as reporting_currency,
    r.fx_rate,
    r.fx_rate_date,
    r.revenue_reporting,
    r.cost_of_sales_reporting,
    r.bookings_reporting,
    r.collections_reporting,
    r.cash_balance_reporting,
    r.cash_in_reporting,
    r.cash_out_reporting,
    r.cash_out_reporting as gross_burn_reporting,
    r.cash_out_reporting - r.cash_in_reporting as net_burn_reporting,
    r.ar_open_reporting,
    r.ar_overdue_reporting,
    r.ap_open_reporting,
    r.ar_invoiced_reporting,
    r.ap_billed_reporting,
    -- bank reconciliation and coding (int_bank_kpis_entity_daily; NULL before the bank feed)
    bk.bank_lines,
    bk.bank_lines_matched,
    bk.auto_match_rate_pct,
    bk.bank_lines_auto_coded,
    bk.auto_coding_coverage_pct,
    bk.judged_auto_codes,
    bk.correct_auto_codes,
    bk.auto_coding_precision_pct,
    bk.unreconciled_lines,
    bk.oldest_unreconciled_days,
    bk.last_closed_month,
    bk.days_since_close,
    {{ process_kpi_tail_columns('r.') }}
from rolling as r
left join bank_kpis as bk on bk.bank_entity_id = r.entity_id and bk.bank_day = r.day

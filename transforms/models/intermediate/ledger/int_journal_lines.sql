-- One row per journal line of every legal entity: debit-positive (credit negative), in the
-- entity's functional currency, summing to zero per document. Neither QBO nor Xero
-- expose a posted journal through their transaction APIs, so lines are synthesized from
-- the documents, as Fivetran's dbt_quickbooks does (docs/DECISIONS.md): invoices and
-- credit memos against receivables, bills against payables, payments, purchases,
-- deposits and bank transactions against the bank, and manual journals as entered.
-- Deleted and voided documents post nothing.
with entities as (
    select ledger_source, entity_id, functional_currency from {{ ref('legal_entities') }}
),

qbo_special as (
    select
        tenant_id,
        max(case when is_receivable then source_account_id end) as ar_account_id,
        max(case when is_payable then source_account_id end) as ap_account_id
    from {{ ref('int_ledger_accounts') }}
    where source_system = 'qbo'
    group by tenant_id
),

xero_accounts as (
    select tenant_id, account_code, source_account_id, is_receivable, is_payable, is_tax
    from {{ ref('int_ledger_accounts') }}
    where source_system = 'xero'
),

xero_special as (
    select
        tenant_id,
        max(case when is_receivable then source_account_id end) as ar_account_id,
        max(case when is_payable then source_account_id end) as ap_account_id,
        max(case when is_tax then source_account_id end) as tax_account_id
    from xero_accounts
    group by tenant_id
),

-- ---------------------------------------------------------------- QuickBooks Online
qbo_lines as (
    -- invoices: Dr receivable (total), Cr each line's income account
    select 'Invoice' as document_type, i.invoice_id as document_id, i.doc_number, i.txn_date as posted_on,
           '0' as line_id, s.ar_account_id as account_id, i.total_amount as amount,
           i.customer_id as contact_id, 'Invoice ' || coalesce(i.doc_number, i.invoice_id) as description, i.raw_key, i.currency as doc_currency, i.tenant_id
    from {{ ref('stg_qbo__invoices') }} as i left join qbo_special as s on s.tenant_id = i.tenant_id
    where not i.is_deleted and not i.is_voided
    union all
    select 'Invoice', l.invoice_id, i.doc_number, i.txn_date, l.line_id, l.account_id, -l.amount,
           i.customer_id, l.description, l.raw_key, i.currency as doc_currency, i.tenant_id
    from {{ ref('stg_qbo__invoice_lines') }} as l
    join {{ ref('stg_qbo__invoices') }} as i using (tenant_id, invoice_id)
    where not i.is_deleted and not i.is_voided
    union all
    -- credit memos: Dr income (lines), Cr receivable
    select 'CreditMemo', c.credit_memo_id, c.doc_number, c.txn_date, '0', s.ar_account_id, -c.total_amount,
           c.customer_id, 'Credit memo ' || coalesce(c.doc_number, c.credit_memo_id), c.raw_key, c.currency as doc_currency, c.tenant_id
    from {{ ref('stg_qbo__credit_memos') }} as c left join qbo_special as s on s.tenant_id = c.tenant_id
    where not c.is_deleted and not c.is_voided
    union all
    select 'CreditMemo', l.credit_memo_id, c.doc_number, c.txn_date, l.line_id, l.account_id, l.amount,
           c.customer_id, l.description, l.raw_key, c.currency as doc_currency, c.tenant_id
    from {{ ref('stg_qbo__credit_memo_lines') }} as l
    join {{ ref('stg_qbo__credit_memos') }} as c using (tenant_id, credit_memo_id)
    where not c.is_deleted and not c.is_voided
    union all
    -- sales receipts: Dr deposit account, Cr income lines
    select 'SalesReceipt', r.sales_receipt_id, r.doc_number, r.txn_date, '0', r.deposit_account_id, r.total_amount,
           r.customer_id, 'Sales receipt', r.raw_key, r.currency as doc_currency, r.tenant_id
    from {{ ref('stg_qbo__sales_receipts') }} as r
    where not r.is_deleted and not r.is_voided
    union all
    select 'SalesReceipt', l.sales_receipt_id, r.doc_number, r.txn_date, l.line_id, l.account_id, -l.amount,
           r.customer_id, l.description, l.raw_key, r.currency as doc_currency, r.tenant_id
    from {{ ref('stg_qbo__sales_receipt_lines') }} as l
    join {{ ref('stg_qbo__sales_receipts') }} as r using (tenant_id, sales_receipt_id)
    where not r.is_deleted and not r.is_voided
    union all
    -- customer payments: Dr deposit-to account, Cr receivable
    select 'Payment', p.payment_id, p.doc_number, p.txn_date, '1', p.bank_account_id, p.total_amount,
           p.customer_id, 'Payment', p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__payments') }} as p
    where not p.is_deleted and not p.is_voided
    union all
    select 'Payment', p.payment_id, p.doc_number, p.txn_date, '2', s.ar_account_id, -p.total_amount,
           p.customer_id, 'Payment', p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__payments') }} as p left join qbo_special as s on s.tenant_id = p.tenant_id
    where not p.is_deleted and not p.is_voided
    union all
    -- bills: Dr expense lines, Cr payable
    select 'Bill', b.bill_id, b.doc_number, b.txn_date, '0', coalesce(b.ap_account_id, s.ap_account_id), -b.total_amount,
           b.vendor_id, 'Bill ' || coalesce(b.doc_number, b.bill_id), b.raw_key, b.currency as doc_currency, b.tenant_id
    from {{ ref('stg_qbo__bills') }} as b left join qbo_special as s on s.tenant_id = b.tenant_id
    where not b.is_deleted and not b.is_voided
    union all
    select 'Bill', l.bill_id, b.doc_number, b.txn_date, l.line_id, l.account_id, l.amount,
           b.vendor_id, l.description, l.raw_key, b.currency as doc_currency, b.tenant_id
    from {{ ref('stg_qbo__bill_lines') }} as l
    join {{ ref('stg_qbo__bills') }} as b using (tenant_id, bill_id)
    where not b.is_deleted and not b.is_voided
    union all
    -- bill payments: Dr payable, Cr bank
    select 'BillPayment', p.bill_payment_id, p.doc_number, p.txn_date, '1', s.ap_account_id, p.total_amount,
           p.vendor_id, 'Bill payment', p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__bill_payments') }} as p left join qbo_special as s on s.tenant_id = p.tenant_id
    where not p.is_deleted and not p.is_voided
    union all
    select 'BillPayment', p.bill_payment_id, p.doc_number, p.txn_date, '2', p.bank_account_id, -p.total_amount,
           p.vendor_id, 'Bill payment', p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__bill_payments') }} as p
    where not p.is_deleted and not p.is_voided
    union all
    -- purchases (expenses paid directly): Dr expense lines, Cr bank
    select 'Purchase', p.purchase_id, p.doc_number, p.txn_date, '0', p.bank_account_id, -p.total_amount,
           p.party_id, coalesce(p.private_note, 'Purchase'), p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__purchases') }} as p
    where not p.is_deleted and not p.is_voided
    union all
    select 'Purchase', l.purchase_id, p.doc_number, p.txn_date, l.line_id, l.account_id, l.amount,
           p.party_id, l.description, l.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_qbo__purchase_lines') }} as l
    join {{ ref('stg_qbo__purchases') }} as p using (tenant_id, purchase_id)
    where not p.is_deleted and not p.is_voided
    union all
    -- deposits: Dr bank, Cr each line's account
    select 'Deposit', d.deposit_id, d.doc_number, d.txn_date, '0', d.bank_account_id, d.total_amount,
           d.party_id, coalesce(d.private_note, 'Deposit'), d.raw_key, d.currency as doc_currency, d.tenant_id
    from {{ ref('stg_qbo__deposits') }} as d
    where not d.is_deleted and not d.is_voided
    union all
    select 'Deposit', l.deposit_id, d.doc_number, d.txn_date, l.line_id, l.account_id, -l.amount,
           coalesce(l.party_id, d.party_id), l.description, l.raw_key, d.currency as doc_currency, d.tenant_id
    from {{ ref('stg_qbo__deposit_lines') }} as l
    join {{ ref('stg_qbo__deposits') }} as d using (tenant_id, deposit_id)
    where not d.is_deleted and not d.is_voided
    union all
    -- journal entries: as entered
    select 'JournalEntry', l.journal_entry_id, j.doc_number, j.txn_date, l.line_id, l.account_id,
           case when l.posting_type = 'Credit' then -l.amount else l.amount end,
           l.party_id, l.description, l.raw_key, j.currency as doc_currency, j.tenant_id
    from {{ ref('stg_qbo__journal_entry_lines') }} as l
    join {{ ref('stg_qbo__journal_entries') }} as j using (tenant_id, journal_entry_id)
    where not j.is_deleted and not j.is_voided
),

qbo as (
    select
        'qbo' as source_system, l.tenant_id, l.document_type, l.document_id, l.doc_number, l.posted_on, l.line_id,
        l.account_id as source_account_id, l.key_prefix || ':' || l.account_id as account_key, l.amount,
        l.key_prefix || ':' || l.contact_id as contact_key, l.description, l.raw_key, l.doc_currency, l.key_prefix
    from (select *, {{ ledger_prefix('qbo', 'tenant_id') }} as key_prefix from qbo_lines) as l
),

-- ---------------------------------------------------------------- Xero
xero_posted_invoices as (
    select * from {{ ref('stg_xero__invoices') }}
    where status in ('AUTHORISED', 'PAID')
),

xero_lines as (
    -- ACCREC: Dr receivable total, Cr lines (net of tax), Cr tax.  ACCPAY: the mirror.
    select 'Invoice' as document_type, i.invoice_id as document_id, i.invoice_number as doc_number,
           i.invoice_date as posted_on, '0' as line_id,
           case when i.invoice_type = 'ACCREC' then s.ar_account_id else s.ap_account_id end as account_id,
           case when i.invoice_type = 'ACCREC' then i.total_amount else -i.total_amount end as amount,
           i.contact_id, coalesce(i.invoice_number, i.invoice_id) as description, i.raw_key, i.currency as doc_currency, i.tenant_id
    from xero_posted_invoices as i left join xero_special as s on s.tenant_id = i.tenant_id
    union all
    select 'Invoice', i.invoice_id, i.invoice_number, i.invoice_date, 'tax', s.tax_account_id,
           case when i.invoice_type = 'ACCREC' then -i.tax_amount else i.tax_amount end,
           i.contact_id, 'Tax', i.raw_key, i.currency as doc_currency, i.tenant_id
    from xero_posted_invoices as i left join xero_special as s on s.tenant_id = i.tenant_id
    where i.tax_amount <> 0
    union all
    -- (a line whose code is not in the tenant's chart keeps the code, so quarantine can name it)
    select 'Invoice', l.invoice_id, i.invoice_number, i.invoice_date, l.invoice_line_id,
           coalesce(a.source_account_id, 'code ' || l.account_code),
           (case when i.line_amount_types = 'Inclusive' then l.line_amount - l.tax_amount else l.line_amount end)
             * case when i.invoice_type = 'ACCREC' then -1 else 1 end,
           i.contact_id, l.description, l.raw_key, i.currency as doc_currency, i.tenant_id
    from {{ ref('stg_xero__invoice_lines') }} as l
    join xero_posted_invoices as i using (tenant_id, invoice_id)
    left join xero_accounts as a on a.tenant_id = l.tenant_id and a.account_code = l.account_code
    union all
    -- credit notes: the mirror of an invoice of the same side
    select 'CreditNote', c.credit_note_id, c.credit_note_number, c.credit_note_date, '0',
           case when c.credit_note_type = 'ACCRECCREDIT' then s.ar_account_id else s.ap_account_id end,
           case when c.credit_note_type = 'ACCRECCREDIT' then -c.total_amount else c.total_amount end,
           c.contact_id, coalesce(c.credit_note_number, c.credit_note_id), c.raw_key, c.currency as doc_currency, c.tenant_id
    from {{ ref('stg_xero__credit_notes') }} as c left join xero_special as s on s.tenant_id = c.tenant_id
    where c.status in ('AUTHORISED', 'PAID')
    union all
    select 'CreditNote', c.credit_note_id, c.credit_note_number, c.credit_note_date, 'tax', s.tax_account_id,
           case when c.credit_note_type = 'ACCRECCREDIT' then c.tax_amount else -c.tax_amount end,
           c.contact_id, 'Tax', c.raw_key, c.currency as doc_currency, c.tenant_id
    from {{ ref('stg_xero__credit_notes') }} as c left join xero_special as s on s.tenant_id = c.tenant_id
    where c.status in ('AUTHORISED', 'PAID') and c.tax_amount <> 0
    union all
    select 'CreditNote', c.credit_note_id, c.credit_note_number, c.credit_note_date, line_no,
           coalesce(a.source_account_id, 'code ' || cl.account_code),
           line_net * case when c.credit_note_type = 'ACCRECCREDIT' then 1 else -1 end,
           c.contact_id, line_description, c.raw_key, c.currency as doc_currency, c.tenant_id
    from (
        select r.tenant_id, r.record_id as credit_note_id,
               cast(row_number() over (partition by r.tenant_id, r.record_id order by r.raw_key, cast(line as varchar)) as varchar) as line_no,
               {{ json_str('line', '$.AccountCode') }} as account_code,
               {{ json_str('line', '$.Description') }} as line_description,
               {{ to_amount(json_str('line', '$.LineAmount')) }}
                 - case when {{ json_str('r.record', '$.LineAmountTypes') }} = 'Inclusive'
                        then {{ to_amount('coalesce(' ~ json_str('line', '$.TaxAmount') ~ ", '0')") }} else 0 end as line_net
        from {{ json_each_row(ref('stg_xero__records'), 'r', 'record', '$.LineItems', 'line', where="r.collection = 'CreditNotes'") }}
    ) as cl
    join {{ ref('stg_xero__credit_notes') }} as c using (tenant_id, credit_note_id)
    left join xero_accounts as a on a.tenant_id = cl.tenant_id and a.account_code = cl.account_code
    where c.status in ('AUTHORISED', 'PAID')
    union all
    -- payments: receipts Dr bank / Cr receivable; payments to suppliers Dr payable / Cr bank
    select 'Payment', p.payment_id, p.reference, p.payment_date, '1', p.bank_account_id,
           case when p.payment_type like 'ACCREC%' then p.amount else -p.amount end,
           p.contact_id, coalesce(p.reference, 'Payment'), p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_xero__payments') }} as p
    where not p.is_deleted
    union all
    select 'Payment', p.payment_id, p.reference, p.payment_date, '2',
           case when p.payment_type like 'ACCREC%' then s.ar_account_id else s.ap_account_id end,
           case when p.payment_type like 'ACCREC%' then -p.amount else p.amount end,
           p.contact_id, coalesce(p.reference, 'Payment'), p.raw_key, p.currency as doc_currency, p.tenant_id
    from {{ ref('stg_xero__payments') }} as p left join xero_special as s on s.tenant_id = p.tenant_id
    where not p.is_deleted
    union all
    -- bank transactions: SPEND Dr lines + tax / Cr bank; RECEIVE the mirror
    select 'BankTransaction', b.bank_transaction_id, b.reference, b.transaction_date, '0', b.bank_account_id,
           case when b.transaction_type like 'RECEIVE%' then b.total_amount else -b.total_amount end,
           b.contact_id, coalesce(b.reference, 'Bank transaction'), b.raw_key, b.currency as doc_currency, b.tenant_id
    from {{ ref('stg_xero__bank_transactions') }} as b
    where b.status = 'AUTHORISED'
    union all
    select 'BankTransaction', b.bank_transaction_id, b.reference, b.transaction_date, 'tax', s.tax_account_id,
           case when b.transaction_type like 'RECEIVE%' then -b.tax_amount else b.tax_amount end,
           b.contact_id, 'Tax', b.raw_key, b.currency as doc_currency, b.tenant_id
    from {{ ref('stg_xero__bank_transactions') }} as b left join xero_special as s on s.tenant_id = b.tenant_id
    where b.status = 'AUTHORISED' and b.tax_amount <> 0
    union all
    select 'BankTransaction', l.bank_transaction_id, b.reference, b.transaction_date, l.bank_transaction_line_id,
           coalesce(a.source_account_id, 'code ' || l.account_code),
           (case when b.line_amount_types = 'Inclusive' then l.line_amount - l.tax_amount else l.line_amount end)
             * case when b.transaction_type like 'RECEIVE%' then -1 else 1 end,
           b.contact_id, l.description, l.raw_key, b.currency as doc_currency, b.tenant_id
    from {{ ref('stg_xero__bank_transaction_lines') }} as l
    join {{ ref('stg_xero__bank_transactions') }} as b using (tenant_id, bank_transaction_id)
    left join xero_accounts as a on a.tenant_id = l.tenant_id and a.account_code = l.account_code
    where b.status = 'AUTHORISED'
    union all
    -- manual journals: as entered (LineAmount is already debit-positive)
    select 'ManualJournal', l.manual_journal_id, null, l.journal_date, l.manual_journal_line_id,
           coalesce(a.source_account_id, 'code ' || l.account_code),
           l.line_amount, null, coalesce(l.description, l.narration), l.raw_key, cast(null as varchar) as doc_currency, l.tenant_id
    from {{ ref('stg_xero__manual_journal_lines') }} as l
    left join xero_accounts as a on a.tenant_id = l.tenant_id and a.account_code = l.account_code
    where l.status = 'POSTED'
),

xero as (
    select
        'xero' as source_system, l.tenant_id, l.document_type, l.document_id, l.doc_number, l.posted_on, l.line_id,
        l.account_id as source_account_id, l.key_prefix || ':' || l.account_id as account_key, l.amount,
        l.key_prefix || ':' || l.contact_id as contact_key, l.description, l.raw_key, l.doc_currency, l.key_prefix
    from (select *, {{ ledger_prefix('xero', 'tenant_id') }} as key_prefix from xero_lines) as l
),

unioned as (
    select * from qbo
    union all
    select * from xero
),

-- ---------------------------------------------------------------- entity, account, rates
{%- set reporting = var('reporting_currency') %}
mapped as (
    -- each tenant's ledger is one legal entity's (seeds/source_tenants.csv)
    select u.*, t.entity_id, e.functional_currency,
           coalesce(u.doc_currency, e.functional_currency) as transaction_currency,
           a.account_key is not null as is_known_account
    from unioned as u
    left join {{ ref('source_tenants') }} as t on t.source_system = u.source_system and t.tenant_id = u.tenant_id
    left join {{ ref('legal_entities') }} as e on e.entity_id = t.entity_id
    left join {{ ref('int_ledger_accounts') }} as a
        on a.source_system = u.source_system and a.tenant_id = u.tenant_id and a.source_account_id = u.source_account_id
    where u.amount is null or u.amount <> 0
),

rated as (
    -- Identity conversions need no rate: a line in its entity's functional currency converts
    -- at 1, a functional currency equal to the reporting currency too. Only a real
    -- conversion looks a rate up, and a missing one quarantines the document (never a NULL
    -- amount that tie-outs would skip).
    select
        m.*,
        {{ rate_or_identity('m.transaction_currency', 'm.functional_currency', 'r.rate') }} as to_functional_rate,
        {{ rate_or_identity('m.functional_currency', "'" ~ reporting ~ "'", 'fx.rate') }} as to_reporting_rate,
        case when m.functional_currency = '{{ reporting }}' then m.posted_on else fx.published_on end as reporting_rate_date
    from mapped as m
    -- a condition on m alone goes inside the key, else DuckDB nested-loops (DECISIONS.md)
    left join {{ ref('int_fx_pair_rates_daily') }} as r
        on r.base_currency = case when m.transaction_currency <> m.functional_currency then m.transaction_currency end
       and r.quote_currency = m.functional_currency and r.rate_date = m.posted_on
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fx.currency = case when m.functional_currency <> '{{ reporting }}' then m.functional_currency end
       and fx.rate_date = m.posted_on
),

checked as (
    select
        r.*,
        case
            when r.entity_id is null or r.functional_currency is null
                then 'unmapped tenant: ' || r.source_system || ' tenant ' || coalesce(r.tenant_id, '?')
                     || ' is not mapped to a legal entity (seeds/source_tenants.csv, seeds/legal_entities.csv)'
            when r.amount is null then 'no amount: line ' || r.line_id || ' has no amount'
            when r.posted_on is null then 'no date: the document has no date'
            when r.source_account_id is null then 'unknown account: line ' || r.line_id || ' names no account'
            when not r.is_known_account
                then 'unknown account: line ' || r.line_id || ' posts to account ' || r.source_account_id
                     || ', not (yet) in the chart of accounts'
            when r.to_functional_rate is null
                then 'no fx rate: no ' || r.transaction_currency || '->' || r.functional_currency
                     || ' rate on or before ' || cast(r.posted_on as varchar)
            when r.to_reporting_rate is null
                then 'no fx rate: no ' || r.functional_currency || '->{{ reporting }} rate on or before '
                     || cast(r.posted_on as varchar)
        end as line_problem,
        -- the most actionable problem names the document: an unmapped tenant or an unknown
        -- account before a missing rate (fixing the account may be all it takes)
        case
            when r.entity_id is null or r.functional_currency is null then 1
            when r.amount is null then 2
            when r.posted_on is null then 3
            when r.source_account_id is null or not r.is_known_account then 4
            else 5
        end as problem_rank
    from rated as r
),

documents as (
    -- a document posts whole or not at all: one bad line quarantines all its lines, so
    -- what is published still balances
    select
        source_system, tenant_id, document_type, document_id,
        min_by(line_problem, case when line_problem is not null then problem_rank end) as first_problem,
        sum(amount) as transaction_net,
        min(transaction_currency) as transaction_currency
    from checked
    group by source_system, tenant_id, document_type, document_id
)

select
    c.key_prefix || ':' || c.document_type || ':' || c.document_id || ':' || c.line_id as journal_line_id,
    c.entity_id,
    c.source_system,
    c.tenant_id,
    c.document_type,
    c.document_id,
    c.doc_number,
    c.posted_on,
    c.line_id,
    c.source_account_id,
    c.account_key,
    -- in the document's own currency (transaction currency); general_ledger converts to
    -- the entity's functional and the reporting currency with these rates
    cast(c.amount as {{ money_type() }}) as amount,
    c.transaction_currency as currency,
    c.functional_currency,
    c.to_functional_rate,
    c.to_reporting_rate,
    c.reporting_rate_date,
    c.contact_key,
    c.description,
    c.document_id as source_id,
    c.raw_key,
    coalesce(d.first_problem,
             case when d.transaction_net <> 0
                  then 'unbalanced: the document' || chr(39) || 's lines net to ' || cast(d.transaction_net as varchar) || ' '
                       || d.transaction_currency || ', not zero' end) as quarantine_reason
from checked as c
join documents as d
    on d.source_system = c.source_system and d.tenant_id = c.tenant_id
   and d.document_type = c.document_type and d.document_id = c.document_id

-- One row per application of a payment or credit to an AR / AP document, dated by the
-- payment: QBO Payment / BillPayment lines (LinkedTxn; a credit memo applied through a
-- payment is part of the invoice line's amount), Xero payments (one invoice each) and
-- Xero credit-note allocations. Partial payments give several rows per document;
-- over- and pre-payments leave an unapplied remainder on the payment (not here).
with qbo_payments as (
    select
        {{ ledger_prefix('qbo', 'a.tenant_id') }} || ':Payment:' || a.allocation_id as allocation_key,
        {{ ledger_prefix('qbo', 'a.tenant_id') }} || ':Invoice:' || a.applied_to_id as document_key,
        'Payment' as payment_type,
        a.payment_id,
        p.txn_date as applied_on,
        a.amount,
        a.raw_key
    from {{ ref('stg_qbo__payment_allocations') }} as a
    join {{ ref('stg_qbo__payments') }} as p using (tenant_id, payment_id)
    where a.applied_to_type = 'Invoice' and not p.is_deleted and not p.is_voided
),

qbo_bill_payments as (
    select
        {{ ledger_prefix('qbo', 'a.tenant_id') }} || ':BillPayment:' || a.allocation_id as allocation_key,
        {{ ledger_prefix('qbo', 'a.tenant_id') }} || ':Bill:' || a.applied_to_id as document_key,
        'BillPayment' as payment_type,
        a.bill_payment_id as payment_id,
        p.txn_date as applied_on,
        a.amount,
        a.raw_key
    from {{ ref('stg_qbo__bill_payment_allocations') }} as a
    join {{ ref('stg_qbo__bill_payments') }} as p using (tenant_id, bill_payment_id)
    where a.applied_to_type = 'Bill' and not p.is_deleted and not p.is_voided
),

xero_payments as (
    select
        {{ ledger_prefix('xero', 'tenant_id') }} || ':Payment:' || payment_id as allocation_key,
        {{ ledger_prefix('xero', 'tenant_id') }} || ':Invoice:' || invoice_id as document_key,
        'Payment' as payment_type,
        payment_id,
        payment_date as applied_on,
        amount,
        raw_key
    from {{ ref('stg_xero__payments') }}
    where not is_deleted and invoice_id is not null
),

xero_credits as (
    select
        {{ ledger_prefix(
            'xero',
            'r.tenant_id'
        ) }} || ':CreditNote:' || r.record_id || ':' || {{ json_str('al', '$.Invoice.InvoiceID') }} as allocation_key,
        {{ ledger_prefix(
            'xero',
            'r.tenant_id'
        ) }} || ':Invoice:' || {{ json_str('al', '$.Invoice.InvoiceID') }} as document_key,
        'CreditNote' as payment_type,
        r.record_id as payment_id,
        cast({{ xero_date(json_str('al', '$.Date')) }} as date) as applied_on,
        {{ to_amount(json_str('al', '$.Amount')) }} as amount,
        r.raw_key
    from {{ json_each_row(
        ref('stg_xero__records'),
        'r',
        'record',
        '$.Allocations',
        'al',
        where="r.collection = 'CreditNotes' and " ~ json_str('r.record', '$.Status') ~ " in ('AUTHORISED', 'PAID')"
    ) }}
)

select * from qbo_payments
union all
select * from qbo_bill_payments
union all
select * from xero_payments
union all
select * from xero_credits

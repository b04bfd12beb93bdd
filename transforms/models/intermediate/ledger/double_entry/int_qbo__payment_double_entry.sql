-- QBO customer payments: Dr the deposit-to account, Cr receivable.
with payments as (
    select *
    from {{ ref('stg_qbo__payments') }}
    where not is_deleted and not is_voided
),

control as (
    select * from {{ ref('int_ledger_control_accounts') }} where source_system = 'qbo'
),

sides as (
    select '1' as line_id, 1 as sign
    union all
    select '2' as line_id, -1 as sign
)

select
    'qbo' as source_system,
    p.tenant_id as tenant_id,
    'Payment' as document_type,
    p.payment_id as document_id,
    p.doc_number as doc_number,
    p.txn_date as posted_on,
    s.line_id as line_id,
    case when s.line_id = '1' then p.bank_account_id else c.ar_account_id end as source_account_id,
    s.sign * p.total_amount as amount,
    p.customer_id as contact_id,
    'Payment' as description,
    p.currency as doc_currency,
    {{ qbo_exchange_rate('p.exchange_rate') }} as exchange_rate,
    p.raw_key as raw_key
from payments as p
cross join sides as s
left join control as c on c.tenant_id = p.tenant_id

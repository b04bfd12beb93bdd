-- Xero payments: a receipt (ACCREC…) Dr the bank, Cr receivable; a payment to a supplier
-- (ACCPAY…) Dr payable, Cr the bank.
with payments as (
    select
        *,
        case when payment_type like 'ACCREC%' then 1 else -1 end as sign
    from {{ ref('stg_xero__payments') }}
    where not is_deleted
),

control as (
    select * from {{ ref('int_ledger_control_accounts') }}
    where source_system = 'xero'
),

sides as (
    select
        '1' as line_id,
        1 as sign
    union all
    select
        '2' as line_id,
        -1 as sign
)

select
    'xero' as source_system,
    p.tenant_id,
    'Payment' as document_type,
    p.payment_id as document_id,
    p.reference as doc_number,
    p.payment_date as posted_on,
    s.line_id,
    case
        when s.line_id = '1' then p.bank_account_id
        when p.payment_type like 'ACCREC%' then c.ar_account_id
        else c.ap_account_id
    end as source_account_id,
    s.sign * p.sign * p.amount as amount,
    p.contact_id,
    coalesce(p.reference, 'Payment') as description,
    p.currency as doc_currency,
    {{ xero_exchange_rate('p.currency_rate') }} as exchange_rate,
    {{- dimension_columns() }}
    p.raw_key
from payments as p
cross join sides as s
left join control as c on c.tenant_id = p.tenant_id

-- Xero credit notes, posted ones only: the mirror of an invoice of the same side
-- (ACCRECCREDIT: Dr each line net of tax, Dr tax, Cr receivable; ACCPAYCREDIT against payable).
with credit_notes as (
    select
        *,
        case when credit_note_type = 'ACCRECCREDIT' then 1 else -1 end as sign
    from {{ ref('stg_xero__credit_notes') }}
    where status in ('AUTHORISED', 'PAID')
),

{{ ledger_lookups('xero') }},

credit_note_lines as (
    -- staging has no credit-note line model: the lines are read from the record here
    select
        r.tenant_id,
        r.record_id as credit_note_id,
        cast(
            row_number() over (
                partition by r.tenant_id, r.record_id order by r.raw_key, cast(r.line as varchar)
            ) as varchar
        ) as line_no,
        {{ json_str('line', '$.AccountCode') }} as account_code,
        {{ json_str('line', '$.Description') }} as line_description,
        {{ to_amount(json_str('line', '$.LineAmount')) }}
        - case
            when {{ json_str('r.record', '$.LineAmountTypes') }} = 'Inclusive'
                then {{ to_amount('coalesce(' ~ json_str('line', '$.TaxAmount') ~ ", '0')") }}
            else 0
        end as line_net
    from {{ json_each_row(
        ref('stg_xero__records'),
        'r',
        'record',
        '$.LineItems',
        'line',
        where="r.collection = 'CreditNotes'"
    ) }}
)

select
    'xero' as source_system,
    n.tenant_id,
    'CreditNote' as document_type,
    n.credit_note_id as document_id,
    n.credit_note_number as doc_number,
    n.credit_note_date as posted_on,
    '0' as line_id,
    case when n.credit_note_type = 'ACCRECCREDIT' then c.ar_account_id else c.ap_account_id end as source_account_id,
    -n.sign * n.total_amount as amount,
    n.contact_id,
    coalesce(n.credit_note_number, n.credit_note_id) as description,
    n.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    n.raw_key
from credit_notes as n
left join control as c on c.tenant_id = n.tenant_id

union all

select
    'xero' as source_system,
    n.tenant_id,
    'CreditNote' as document_type,
    n.credit_note_id as document_id,
    n.credit_note_number as doc_number,
    n.credit_note_date as posted_on,
    'tax' as line_id,
    c.tax_account_id as source_account_id,
    n.sign * n.tax_amount as amount,
    n.contact_id,
    'Tax' as description,
    n.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    n.raw_key
from credit_notes as n
left join control as c on c.tenant_id = n.tenant_id
where n.tax_amount != 0

union all

select
    'xero' as source_system,
    n.tenant_id,
    'CreditNote' as document_type,
    n.credit_note_id as document_id,
    n.credit_note_number as doc_number,
    n.credit_note_date as posted_on,
    l.line_no as line_id,
    coalesce(a.source_account_id, 'code ' || l.account_code) as source_account_id,
    n.sign * l.line_net as amount,
    n.contact_id,
    l.line_description as description,
    n.currency as doc_currency,
    cast(null as decimal(38, 10)) as exchange_rate,
    n.raw_key
from credit_note_lines as l
inner join credit_notes as n on n.tenant_id = l.tenant_id and n.credit_note_id = l.credit_note_id
left join accounts as a on a.tenant_id = l.tenant_id and a.account_code = l.account_code

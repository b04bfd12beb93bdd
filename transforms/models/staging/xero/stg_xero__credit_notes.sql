-- One row per Xero credit note (ACCRECCREDIT to customers, ACCPAYCREDIT from suppliers).
select
    r.record_id as credit_note_id,
    r.tenant_id,
    {{ json_str('r.record', '$.Type') }} as credit_note_type,
    {{ json_str('r.record', '$.CreditNoteNumber') }} as credit_note_number,
    {{ json_str('r.record', '$.Contact.ContactID') }} as contact_id,
    cast({{ xero_date(json_str('r.record', '$.Date')) }} as date) as credit_note_date,
    {{ json_str('r.record', '$.Status') }} as status,
    upper({{ json_str('r.record', '$.CurrencyCode') }}) as currency,
    {{ to_amount(json_str('r.record', '$.SubTotal')) }} as subtotal_amount,
    {{ to_amount('coalesce(' ~ json_str('r.record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
    {{ to_amount(json_str('r.record', '$.Total')) }} as total_amount,
    {{ to_amount(json_str('r.record', '$.RemainingCredit')) }} as remaining_credit,
    {{ json_str('r.record', '$.Status') }} = 'VOIDED' as is_voided,
    {{ json_str('r.record', '$.Status') }} = 'DELETED' as is_deleted,
    r.updated_at,
    r.source_system,
    r.record_id as source_id,
    r.raw_key
from {{ ref('stg_xero__records') }} as r
where r.collection = 'CreditNotes'

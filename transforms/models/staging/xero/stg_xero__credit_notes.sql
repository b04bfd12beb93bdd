-- One row per Xero credit note (ACCRECCREDIT to customers, ACCPAYCREDIT from suppliers).
with source as (
    {{ xero_source('CreditNotes') }}
),

renamed as (
    select
        record_id as credit_note_id,
        tenant_id,
        {{ json_str('record', '$.Type') }} as credit_note_type,
        {{ json_str('record', '$.CreditNoteNumber') }} as credit_note_number,
        {{ json_str('record', '$.Contact.ContactID') }} as contact_id,
        cast({{ xero_date(json_str('record', '$.Date')) }} as date) as credit_note_date,
        {{ json_str('record', '$.Status') }} as status,
        upper({{ json_str('record', '$.CurrencyCode') }}) as currency,
        {{ to_amount(json_str('record', '$.SubTotal')) }} as subtotal_amount,
        {{ to_amount('coalesce(' ~ json_str('record', '$.TotalTax') ~ ", '0')") }} as tax_amount,
        {{ to_amount(json_str('record', '$.Total')) }} as total_amount,
        {{ to_amount(json_str('record', '$.RemainingCredit')) }} as remaining_credit,
        {{ json_str('record', '$.Status') }} = 'VOIDED' as is_voided,
        {{ json_str('record', '$.Status') }} = 'DELETED' as is_deleted,
        {{ xero_lineage() }}
    from source
)

select * from renamed

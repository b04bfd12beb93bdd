-- Every Xero record, latest version per (collection, id) by UpdatedDateUTC. List polls
-- and single-record reads share one shape ({"Invoices": [...]}), so both are read the
-- same way. Typed staging models (stg_xero__invoices, …) read this one.
{%- set collections = [
    ('invoices', 'Invoices', 'InvoiceID'), ('payments', 'Payments', 'PaymentID'),
    ('banktransactions', 'BankTransactions', 'BankTransactionID'), ('creditnotes', 'CreditNotes', 'CreditNoteID'),
    ('accounts', 'Accounts', 'AccountID'), ('contacts', 'Contacts', 'ContactID'),
    ('manualjournals', 'ManualJournals', 'ManualJournalID')] %}
with
{%- for entity, collection, id_field in collections %}
{{ entity }} as (
    select raw.raw_key, raw.received_at, raw.envelope, '{{ collection }}' as collection,
           {{ json_str('item', '$.' ~ id_field) }} as record_id, item as record
    from {{ json_each_row(raw_objects('xero', entity), 'raw', 'payload', '$.' ~ collection, 'item') }}
),
{%- endfor %}

unioned as (
{%- for entity, collection, id_field in collections %}
    select * from {{ entity }}{% if not loop.last %} union all{% endif %}
{%- endfor %}
),

renamed as (
    select
        collection || ':' || record_id as record_key,
        collection,
        record_id,
        {{ xero_date(json_str('record', '$.UpdatedDateUTC')) }} as updated_at,
        coalesce({{ json_str('envelope', '$.extra.tenant_id') }}, {{ json_str('envelope', '$.extra.request.tenant_id') }},
                 {{ json_str('envelope', '$.headers.xero-tenant-id') }}) as tenant_id,
        record,
        'xero' as source_system,
        raw_key,
        received_at
    from unioned
)

{{ dedupe('select * from renamed', 'record_key', 'updated_at desc nulls last, received_at desc, raw_key desc') }}

{#
  The `source` (one entity type of stg_qbo__records) and `lines` (one row per element of
  its Line array, with the document id as `id_column`) CTEs the line-level models start from.
#}
{% macro qbo_record_lines(entity_type, id_column) %}
source as (
    {{ qbo_source(entity_type) }}
),

lines as (
    select
        s.record_id as {{ id_column }},
        s.realm_id,
        s.is_deleted,
        s.is_voided,
        s.raw_key,
        s.line
    from {{ json_each_row('source', 's', 'record', '$.Line', 'line') }}
)
{% endmacro %}

{#
  One row per detail line of a QBO document type (Invoice, CreditMemo, SalesReceipt use
  SalesItemLineDetail; Bill, Purchase use AccountBasedExpenseLineDetail; Deposit and
  JournalEntry their own DepositLineDetail / JournalEntryLineDetail). Subtotal and other
  line kinds are skipped. `id_name` names the document id column (`<id_name>_id`) and the
  line key (`<id_name>_line_id`).
#}
{% macro qbo_document_lines(entity_type, id_name, detail_type) %}
{%- set doc_id = id_name ~ '_id' -%}
{%- set detail = '$.' ~ detail_type -%}
with {{ qbo_record_lines(entity_type, doc_id) }},

renamed as (
    select
        {{ doc_id }} || ':' || coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as {{ id_name }}_line_id,
        {{ doc_id }},
        realm_id,
        realm_id as tenant_id,
        coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
        {{ json_str('line', '$.Description') }} as description,
        {{ to_amount(json_str('line', '$.Amount')) }} as amount,
        {{ json_str('line', detail ~ '.PostingType') }} as posting_type,
        coalesce(
            {{ json_str('line', detail ~ '.AccountRef.value') }},
            {{ json_str('line', detail ~ '.ItemAccountRef.value') }}
        ) as account_id,
        {{ json_str('line', detail ~ '.ItemRef.value') }} as item_id,
        {{ json_str('line', detail ~ '.TaxCodeRef.value') }} as tax_code,
        -- a line's class; a journal entry line's department too (other documents set it on the transaction)
        {{ qbo_ref_columns('line', detail ~ '.ClassRef', 'class') }},
        {{ qbo_ref_columns('line', detail ~ '.DepartmentRef', 'department') }},
        coalesce(
            {{ json_str('line', detail ~ '.Entity.EntityRef.value') }},
            {{ json_str('line', detail ~ '.CustomerRef.value') }},
            {{ json_str('line', detail ~ '.Entity.value') }}
        ) as party_id,
        is_deleted,
        is_voided,
        'qbo' as source_system,
        raw_key
    from lines
    where {{ json_str('line', '$.DetailType') }} = '{{ detail_type }}'
)

select * from renamed
{% endmacro %}

{#
  Every QBO entity record of every raw object, before dedup: /cdc pages (all types in one
  page) and single-entity reads ({"Invoice": {...}}), with the realm. stg_qbo__records
  keeps the latest version of each identified record; stg_qbo__quarantine the rest.
#}
{% macro qbo_entity_types() -%}
    {{ return(['Invoice', 'Payment', 'Bill', 'BillPayment', 'Customer', 'Vendor', 'Account',
               'JournalEntry', 'CreditMemo', 'Purchase', 'Deposit', 'SalesReceipt', 'RefundReceipt',
               'Class', 'Department']) }}
{%- endmacro %}

{# The realm: stamped by the hydrator, or in a polled request's path (/v3/company/{realm}/…). #}
{% macro qbo_tenant(envelope) -%}
    {{ tenant_id('qbo', envelope, also="nullif(regexp_extract(coalesce(" ~ json_str(envelope, '$.extra.request.path') ~ ", " ~ json_str(envelope, '$.extra.request.url') ~ ", ''), 'company/([^/]+)/', 1), '{realm}')") }}
{%- endmacro %}

{% macro qbo_raw_records() %}
{%- set entity_types = qbo_entity_types() %}
{%- for t in entity_types %}
{{ t | lower }}_cdc as (
    select raw.raw_key, raw.received_at, {{ qbo_tenant('raw.envelope') }} as tenant_id, 'cdc' as entity, '{{ t }}' as entity_type, item as record
    from {{ json_each_row(source('qbo', 'cdc'), 'raw', 'payload', '$.CDCResponse[*].QueryResponse[*].' ~ t, 'item') }}
),
{{ t | lower }}_read as (
    select raw_key, received_at, {{ qbo_tenant('envelope') }} as tenant_id, '{{ t | lower }}' as entity, '{{ t }}' as entity_type, {{ json_get('payload', '$.' ~ t) }} as record
    from {{ source('qbo', t | lower) }}
    where {{ json_get('payload', '$.' ~ t) }} is not null
),
{%- endfor %}

qbo_raw_records as (
{%- for t in entity_types %}
    select * from {{ t | lower }}_cdc
    union all
    select * from {{ t | lower }}_read
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)
{% endmacro %}

{#
  The typed QBO staging models: a `source` CTE (one entity type of stg_qbo__records), then
  a `renamed` CTE spelling out the columns. The columns every document type shares are
  written once here (they were 18–22 identical lines in nine models), so a change to how a
  QBO date, currency or amount is read lands in all of them at once.
#}

{# One entity type of the latest QBO records: the typed model's `source`. #}
{% macro qbo_source(entity_type) -%}
    select * from {{ ref('stg_qbo__records') }} where entity_type = '{{ entity_type }}'
{%- endmacro %}

{# Currency (home currency USD when QBO omits it: single-currency companies), rate, total. #}
{% macro qbo_money_columns() -%}
    upper(coalesce({{ json_str('record', '$.CurrencyRef.value') }}, 'USD')) as currency,
    try_cast(coalesce({{ json_str('record', '$.ExchangeRate') }}, '1') as decimal(38, 10)) as exchange_rate,
    {{ to_amount(json_str('record', '$.TotalAmt')) }} as total_amount
{%- endmacro %}

{#
  Invoice, CreditMemo, SalesReceipt (party 'customer': CustomerRef) and Bill (party
  'vendor': VendorRef): a document with a due date, tax and an open balance.
#}
{% macro qbo_document_header(party) -%}
    {%- set party_ref = '$.' ~ party | capitalize ~ 'Ref' -%}
    realm_id,
    tenant_id,
    {{ json_str('record', '$.DocNumber') }} as doc_number,
    {{ json_str('record', party_ref ~ '.value') }} as {{ party }}_id,
    {{ json_str('record', party_ref ~ '.name') }} as {{ party }}_name,
    try_cast({{ json_str('record', '$.TxnDate') }} as date) as txn_date,
    try_cast({{ json_str('record', '$.DueDate') }} as date) as due_date,
    {{ qbo_money_columns() }},
    {{ to_amount('coalesce(' ~ json_str('record', '$.TxnTaxDetail.TotalTax') ~ ", '0')") }} as tax_amount,
    {{ to_amount(json_str('record', '$.Balance')) }} as balance,
    {{ json_str('record', '$.PrivateNote') }} as private_note,
    {{ json_str('record', '$.CustomerMemo.value') }} as memo,
    {{ json_get('record', '$.CustomField') }} as custom_fields,
    {{ json_str('record', '$.APAccountRef.value') }} as ap_account_id,
    {{ json_str('record', '$.DepositToAccountRef.value') }} as deposit_account_id,
    {{ qbo_dimension_header() }}
{%- endmacro %}

{# The transaction's class (when the company classes whole transactions) and department. #}
{% macro qbo_dimension_header() -%}
    {{ qbo_ref_columns('record', '$.ClassRef', 'class') }},
    {{ qbo_ref_columns('record', '$.DepartmentRef', 'department') }}
{%- endmacro %}

{#
  Payment, BillPayment, Deposit, Purchase, JournalEntry: money moved through an account.
  `party_column` names the party (customer_id, vendor_id, party_id) read at `party_path`;
  the bank account is read at `bank_account_path`, else a credit card payment's account.
#}
{% macro qbo_payment_header(party_column, party_path, bank_account_path) -%}
    realm_id,
    tenant_id,
    {{ json_str('record', '$.DocNumber') }} as doc_number,
    {{ json_str('record', party_path) }} as {{ party_column }},
    try_cast({{ json_str('record', '$.TxnDate') }} as date) as txn_date,
    {{ qbo_money_columns() }},
    {{ to_amount(json_str('record', '$.UnappliedAmt')) }} as unapplied_amount,
    coalesce(
        {{ json_str('record', bank_account_path) }},
        {{ json_str('record', '$.CreditCardPayment.CCAccountRef.value') }}
    ) as bank_account_id,
    {{ json_str('record', '$.PaymentType') }} as payment_type,
    {{ json_str('record', '$.PrivateNote') }} as private_note,
    {{ qbo_dimension_header() }}
{%- endmacro %}

{# A QBO Customer or Vendor: the same fields on both. #}
{% macro qbo_contact_columns() -%}
    {{ json_str('record', '$.DisplayName') }} as display_name,
    {{ json_str('record', '$.CompanyName') }} as company_name,
    lower({{ json_str('record', '$.PrimaryEmailAddr.Address') }}) as email,
    upper({{ json_str('record', '$.CurrencyRef.value') }}) as currency,
    coalesce(try_cast({{ json_str('record', '$.Active') }} as boolean), true) as is_active
{%- endmacro %}

{# Where each typed row came from; `voided`: the entity can be voided (documents can). #}
{% macro qbo_lineage(voided=true) -%}
    {% if voided %}is_voided,
    {% endif %}updated_at,
    is_deleted,
    source_system,
    record_id as source_id,
    raw_key
{%- endmacro %}

{#
  One row per document a QBO Payment or BillPayment is applied to (Line[].LinkedTxn[]):
  the allocation. `id_name` names the payment id column (`<id_name>_id`).
#}
{% macro qbo_allocations(entity_type, id_name) %}
{%- set payment_id = id_name ~ '_id' -%}
with {{ qbo_record_lines(entity_type, payment_id) }},

linked as (
    select l.*
    from {{ json_each_row('lines', 'l', 'line', '$.LinkedTxn', 'linked') }}
),

renamed as (
    select
        {{ payment_id }} || ':' || {{ json_str('linked', '$.TxnType') }} || ':' || {{ json_str('linked', '$.TxnId') }} as allocation_id,
        {{ payment_id }},
        realm_id,
        realm_id as tenant_id,
        {{ json_str('linked', '$.TxnType') }} as applied_to_type,
        {{ json_str('linked', '$.TxnId') }} as applied_to_id,
        {{ to_amount(json_str('line', '$.Amount')) }} as amount,
        is_deleted,
        is_voided,
        'qbo' as source_system,
        raw_key
    from linked
)

select * from renamed
{% endmacro %}

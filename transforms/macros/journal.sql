{#
  The journal-line contract: every double-entry model (models/intermediate/ledger/double_entry)
  has these columns, and int_journal_lines unions them by name, so a model that adds a
  column or orders its select differently cannot shift values into the wrong column.
#}
{% macro journal_line_columns() -%}
    {{ return(['source_system', 'tenant_id', 'document_type', 'document_id', 'doc_number', 'posted_on',
               'line_id', 'source_account_id', 'amount', 'contact_id', 'description', 'doc_currency',
               'exchange_rate', 'class_id', 'class_name', 'department_id', 'department_name', 'raw_key']) }}
{%- endmacro %}

{# `union all` of the double-entry models, each selected by column name in the contract's order
   (Spark SQL has no UNION BY NAME; an explicit select list is the portable spelling). #}
{% macro union_journal_lines(models) -%}
    {%- for model in models %}
    select
        {%- for column in journal_line_columns() %}
        {% if column == 'amount' %}cast(amount as {{ money_type() }}) as amount{% else %}{{ column }} as {{ column }}{% endif %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#
  The rate a ledger booked a foreign-currency document at, as functional units per 1 document
  unit (NULL when the document states none: int_journal_lines then uses the ECB rate of its
  date). Staging reads an absent rate as 1, and no real document currency trades at exactly 1
  against another, so 1 counts as "not stated".
  QBO ExchangeRate is already home units per 1 foreign unit. Xero CurrencyRate is document
  units per 1 base unit (EUR per GBP): inverted here exactly, to 10 places half-even, with the
  integer arithmetic of fx_cross_rate (DuckDB divides DECIMALs in DOUBLE).
#}
{% macro qbo_exchange_rate(rate_expr) -%}
    cast(nullif({{ rate_expr }}, 1) as decimal(38, 10))
{%- endmacro %}

{% macro xero_exchange_rate(currency_rate_expr) -%}
    case when {{ currency_rate_expr }} > 0 and {{ currency_rate_expr }} <> 1
         then {{ fx_cross_rate('cast(' ~ currency_rate_expr ~ ' * 10000000000 as decimal(38, 0))', 'cast(10000000000 as decimal(38, 0))') }}
    end
{%- endmacro %}

{#
  The double entry of a QBO document that has a header and lines (invoice, credit memo, sales
  receipt, bill, purchase, deposit): line 0 is the header's own account for the document's
  total (`header_account`, e.g. receivable or bank, `header_sign` +1 for a debit), then one line
  per document line on the line's account with the opposite sign. Deleted and voided
  documents post nothing. Expressions may use `d` (the header), `l` (a line) and `c` (the
  tenant's control accounts).
#}
{% macro qbo_header_lines_double_entry(document_type, header, lines, id, header_account, header_sign, contact,
                                       description, line_contact=none) -%}
with documents as (
    select *
    from {{ ref(header) }}
    where not is_deleted and not is_voided
),

control as (
    select * from {{ ref('int_ledger_control_accounts') }} where source_system = 'qbo'
)

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    '{{ document_type }}' as document_type,
    d.{{ id }} as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    '0' as line_id,
    {{ header_account }} as source_account_id,
    {{ header_sign }} * d.total_amount as amount,
    {{ contact }} as contact_id,
    {{ description }} as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    {{- dimension_columns('d') }}
    d.raw_key as raw_key
from documents as d
left join control as c on c.tenant_id = d.tenant_id

union all

select
    'qbo' as source_system,
    d.tenant_id as tenant_id,
    '{{ document_type }}' as document_type,
    l.{{ id }} as document_id,
    d.doc_number as doc_number,
    d.txn_date as posted_on,
    l.line_id as line_id,
    l.account_id as source_account_id,
    {{ -header_sign }} * l.amount as amount,
    {{ line_contact or contact }} as contact_id,
    l.description as description,
    d.currency as doc_currency,
    {{ qbo_exchange_rate('d.exchange_rate') }} as exchange_rate,
    -- the line's class, else the transaction's; the transaction's department (QBO sets it there)
    {{- line_or_header_dimensions('l', 'd') }}
    l.raw_key as raw_key
from {{ ref(lines) }} as l
inner join documents as d on d.tenant_id = l.tenant_id and d.{{ id }} = l.{{ id }}
{%- endmacro %}

{#
  The double entry of a QBO payment (customer Payment, BillPayment): line 1 debits
  `debit_account`, line 2 credits `credit_account`, both the payment's total. Expressions may
  use `p` (the payment) and `c` (the tenant's control accounts).
#}
{% macro qbo_payment_double_entry(document_type, header, id, debit_account, credit_account, contact, description) -%}
with payments as (
    select *
    from {{ ref(header) }}
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
    '{{ document_type }}' as document_type,
    p.{{ id }} as document_id,
    p.doc_number as doc_number,
    p.txn_date as posted_on,
    s.line_id as line_id,
    case when s.line_id = '1' then {{ debit_account }} else {{ credit_account }} end as source_account_id,
    s.sign * p.total_amount as amount,
    {{ contact }} as contact_id,
    {{ description }} as description,
    p.currency as doc_currency,
    {{ qbo_exchange_rate('p.exchange_rate') }} as exchange_rate,
    {{- dimension_columns('p') }}
    p.raw_key as raw_key
from payments as p
cross join sides as s
left join control as c on c.tenant_id = p.tenant_id
{%- endmacro %}

{# The two lookups every double-entry model of one ledger joins: its control accounts
   (receivable, payable, tax) and its chart of accounts. #}
{% macro ledger_lookups(source_system) -%}
control as (
    select * from {{ ref('int_ledger_control_accounts') }}
    where source_system = '{{ source_system }}'
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
    where source_system = '{{ source_system }}'
)
{%- endmacro %}

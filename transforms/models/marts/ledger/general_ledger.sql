-- Grain: one row per journal line of every legal entity (debit-positive, zero-sum per
-- document), with the account's class, the fiscal period, and the amount in functional
-- and reporting currency with the dated FX rate used. Only documents int_journal_lines
-- could post are here (the rest are in quarantine_records), so no amount is ever NULL.
-- Each line carries its document's resolved party (parties: one customer or vendor whatever
-- the ledger's spelling), so a report by customer or vendor never parses contact names.
{%- set fy = var('fiscal_year_start_month') | int %}
{%- set journal_columns = [
    'journal_line_id', 'entity_id', 'source_system', 'tenant_id', 'document_type', 'document_id', 'doc_number',
    'posted_on', 'line_id', 'account_key', 'amount', 'currency', 'functional_currency', 'to_functional_rate',
    'to_reporting_rate', 'reporting_rate_date', 'contact_key', 'description', 'source_id', 'raw_key',
    'functional_amount',
] %}
{%- set dimension_columns = ['class_id', 'class_name', 'department_id', 'department_name'] %}
with journal as (
    -- the documents' lines int_journal_lines could post (the rest are in quarantine_records),
    -- converted there at each document's rate; and the FX gains and losses on foreign documents
    -- (not coded with a class or department: they arise from the rate, not from a document line)
    select
        {{ journal_columns | join(', ') }}, amount as transaction_amount, currency as transaction_currency,
        {{ dimension_columns | join(', ') }}
    from {{ ref('int_journal_lines') }}
    where quarantine_reason is null
    union all
    select
        {{ journal_columns | join(', ') }}, amount as transaction_amount, currency as transaction_currency,
        {%- for column in dimension_columns %}
            cast(null as varchar) as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_fx_gain_loss_lines') }}
),

document_roles as (
    -- the role the document's contact plays in it: vendor when the document touches accounts
    -- payable or pays money out with neither AR nor AP (a purchase, a spend), customer
    -- otherwise; a Xero contact can be both, and its two roles may be two parties
    select
        j.source_system,
        j.tenant_id,
        j.document_type,
        j.document_id,
        case
            when max(case when a.is_payable then 1 else 0 end) = 1 then 'vendor'
            when max(case when a.is_receivable then 1 else 0 end) = 1 then 'customer'
            when sum(case when a.is_bank then j.functional_amount else 0 end) < 0 then 'vendor'
            else 'customer'
        end as party_kind
    from journal as j
    left join {{ ref('int_ledger_accounts') }} as a using (entity_id, account_key)
    where j.contact_key is not null
    group by j.source_system, j.tenant_id, j.document_type, j.document_id
),

contact_parties as (
    select
        contact_key,
        max(case when party_kind = 'customer' then party_key end) as customer_party_key,
        max(case when party_kind = 'customer' then party_name end) as customer_party_name,
        max(case when party_kind = 'vendor' then party_key end) as vendor_party_key,
        max(case when party_kind = 'vendor' then party_name end) as vendor_party_name
    from {{ ref('party_contacts') }}
    group by contact_key
)

select
    j.journal_line_id,
    j.entity_id,
    j.posted_on,
    cast(date_trunc('month', j.posted_on) as date) as period_month,
    -- fiscal year named by the calendar year it ends in (FY2026 = Apr 2025 – Mar 2026 for April)
    extract(
        year from j.posted_on
    ) + case when {{ fy }} > 1 and extract(month from j.posted_on) >= {{ fy }} then 1 else 0 end as fiscal_year,
    ((cast(extract(month from j.posted_on) as integer) - {{ fy }} + 12) % 12) + 1 as fiscal_period,
    j.account_key,
    a.account_code,
    a.account_name,
    a.account_class,
    a.account_type,
    a.is_bank,
    a.is_operating_revenue,
    a.is_cost_of_sales,
    j.document_type,
    j.document_id,
    j.doc_number,
    j.contact_key,
    -- the resolved party in the document's role, else the contact's other role (a journal
    -- naming a contact known only as a vendor); NULL for lines with no contact
    case
        when r.party_kind = 'vendor' then coalesce(p.vendor_party_key, p.customer_party_key)
        else coalesce(p.customer_party_key, p.vendor_party_key)
    end as party_key,
    case
        when r.party_kind = 'vendor' then coalesce(p.vendor_party_name, p.customer_party_name)
        else coalesce(p.customer_party_name, p.vendor_party_name)
    end as party_name,
    j.description,
    -- dimensions (docs/marts.md "Dimensions"): QBO Class and Department (Location); Xero's
    -- tracking categories mapped onto the same two; NULL on a line its document leaves uncoded
    j.class_id,
    j.class_name,
    j.department_id,
    j.department_name,
    -- money: transaction (the document's currency), functional (the entity's) and reporting
    j.transaction_currency,
    j.transaction_amount,
    j.functional_currency,
    j.functional_amount,
    j.to_functional_rate,
    case when j.functional_amount > 0 then j.functional_amount else 0 end as debit,
    case when j.functional_amount < 0 then -j.functional_amount else 0 end as credit,
    '{{ var("reporting_currency") }}' as reporting_currency,
    j.to_reporting_rate as fx_rate,
    j.reporting_rate_date as fx_rate_date,
    case
        when j.functional_currency = '{{ var("reporting_currency") }}' then j.functional_amount
        else {{ convert('j.functional_amount', 'j.to_reporting_rate', "'" ~ var('reporting_currency') ~ "'") }}
    end as reporting_amount,
    j.source_system,
    j.tenant_id,
    j.source_id,
    j.raw_key
from journal as j
left join {{ ref('int_ledger_accounts') }} as a using (entity_id, account_key)
left join document_roles as r
    on
        r.source_system = j.source_system and r.tenant_id = j.tenant_id
        and r.document_type = j.document_type and r.document_id = j.document_id
left join contact_parties as p on p.contact_key = j.contact_key

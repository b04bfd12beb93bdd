-- Grain: one row per won HubSpot deal with no AR invoice referencing it (QBO "HubSpot
-- Deal" custom field / Xero Reference) more than `won_deal_invoice_grace_days` after it
-- closed, as of the latest data in the lake. A Xero DRAFT sales invoice naming the deal
-- counts as its invoice (write-back creates drafts for finance to approve in Xero; they
-- post nothing, so ar_ap_documents leaves them out).
with as_of as (
    select max(posted_on) as as_of_date from {{ ref('general_ledger') }}
),

invoiced as (
    select distinct {{ referenced_deal_id('deal_reference') }} as deal_id from {{ ref('ar_ap_documents') }}
    where document_kind = 'AR' and deal_reference is not null and not is_deleted
    union all
    select {{ referenced_deal_id('reference') }} as deal_id from {{ ref('stg_xero__invoices') }}
    where invoice_type = 'ACCREC' and status = 'DRAFT' and reference is not null and reference != ''
)

select
    d.deal_id,
    d.deal_name,
    d.amount,
    d.currency,
    d.close_date,
    {{ days_between('d.close_date', 'as_of.as_of_date') }} as days_since_close,
    d.source_system,
    d.source_id,
    d.raw_key
from {{ ref('crm_deals') }} as d
cross join as_of
where
    d.is_won
    and d.close_date <= as_of.as_of_date - {{ var('won_deal_invoice_grace_days') }}
    and d.deal_id not in (
        select i.deal_id from invoiced as i
        where i.deal_id is not null
    )

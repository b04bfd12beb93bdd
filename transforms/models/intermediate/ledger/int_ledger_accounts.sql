-- One row per ledger account of every legal entity, QBO and Xero mapped to one 5-class
-- chart (asset, liability, equity, revenue, expense). `is_operating_revenue` follows
-- the ledgers' own account types: QBO "Income"; Xero REVENUE and SALES (other income
-- such as interest is not operating revenue). Each tenant's chart belongs to the legal
-- entity seeds/source_tenants.csv maps it to; account_key (qbo:<id>, xero:<id>) is unique
-- within an entity, and (source_system, tenant_id, source_account_id) is the provider's key.
with qbo as (
    select
        {{ ledger_prefix('qbo', 'a.tenant_id') }} || ':' || a.account_id as account_key,
        e.entity_id,
        a.tenant_id,
        a.account_id as source_account_id,
        coalesce(a.account_number, a.account_id) as account_code,
        a.account_name,
        a.account_type,
        a.account_sub_type,
        c.account_class,
        a.account_type = 'Bank' as is_bank,
        a.account_type = 'Accounts Receivable' as is_receivable,
        a.account_type = 'Accounts Payable' as is_payable,
        false as is_tax,
        a.account_type = 'Income' as is_operating_revenue,
        a.account_type = 'Cost of Goods Sold' as is_cost_of_sales,
        coalesce(a.currency, e.functional_currency) as currency,
        a.is_deleted,
        a.source_system,
        a.source_id,
        a.raw_key
    from {{ ref('stg_qbo__accounts') }} as a
    join {{ ref('source_tenants') }} as t on t.source_system = 'qbo' and t.tenant_id = a.tenant_id
    join {{ ref('legal_entities') }} as e on e.entity_id = t.entity_id
    left join {{ ref('account_classes') }} as c
        on c.source_system = 'qbo' and c.source_class = a.classification
),

xero as (
    select
        {{ ledger_prefix('xero', 'a.tenant_id') }} || ':' || a.account_id as account_key,
        e.entity_id,
        a.tenant_id,
        a.account_id as source_account_id,
        a.account_code,
        a.account_name,
        a.account_type,
        a.system_account as account_sub_type,
        c.account_class,
        a.account_type = 'BANK' as is_bank,
        coalesce(a.system_account = 'DEBTORS', false) as is_receivable,
        coalesce(a.system_account = 'CREDITORS', false) as is_payable,
        coalesce(a.system_account = 'GST', false) as is_tax,
        a.account_type in ('REVENUE', 'SALES') as is_operating_revenue,
        a.account_type = 'DIRECTCOSTS' as is_cost_of_sales,
        coalesce(a.currency, e.functional_currency) as currency,
        a.is_deleted,
        a.source_system,
        a.source_id,
        a.raw_key
    from {{ ref('stg_xero__accounts') }} as a
    join {{ ref('source_tenants') }} as t on t.source_system = 'xero' and t.tenant_id = a.tenant_id
    join {{ ref('legal_entities') }} as e on e.entity_id = t.entity_id
    left join {{ ref('account_classes') }} as c
        on c.source_system = 'xero' and c.source_class = a.account_class
)

select * from qbo
union all
select * from xero

-- One row per ledger tenant: its control accounts (receivable, payable, sales tax), which
-- every double-entry model posts a document's other side to, and the accounts FX gains and
-- losses on foreign-currency documents go to (QBO: "Exchange Gain or Loss" for both; Xero:
-- its REALISEDCURRENCYGAIN and UNREALISEDCURRENCYGAIN system accounts).
select
    source_system,
    tenant_id,
    max(case when is_receivable then source_account_id end) as ar_account_id,
    max(case when is_payable then source_account_id end) as ap_account_id,
    max(case when is_tax then source_account_id end) as tax_account_id,
    max(case when account_sub_type in ('ExchangeGainOrLoss', 'REALISEDCURRENCYGAIN') then source_account_id end)
        as fx_realised_account_id,
    max(case when account_sub_type in ('ExchangeGainOrLoss', 'UNREALISEDCURRENCYGAIN') then source_account_id end)
        as fx_unrealised_account_id
from {{ ref('int_ledger_accounts') }}
group by source_system, tenant_id

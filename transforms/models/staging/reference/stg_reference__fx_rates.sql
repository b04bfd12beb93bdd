-- Daily FX rates (reference data beside raw): one row per date, base and quote currency.
-- `rate` converts 1 unit of base into quote. Kept as DECIMAL, never DOUBLE.
with raw as {{ inline_cte() }} (
    select * from {{ fx_rates_file() }}
)

select
    cast(date as date) as rate_date,
    upper(base) as base_currency,
    upper(quote) as quote_currency,
    cast(rate as decimal(38, 10)) as rate
from raw

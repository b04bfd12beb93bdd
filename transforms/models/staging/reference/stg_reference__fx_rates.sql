-- Daily FX rates: one row per publication date, base and quote currency. `rate` converts
-- 1 unit of base into quote. Kept as DECIMAL, never DOUBLE.
--
-- Two inputs (docs/polling.md, "FX rates: the ECB feed"):
-- * the ECB euro reference rates the `ecb` poller lands (raw ecb/eurofxref: the gesmes XML
--   verbatim). Each day's rates are units per 1 EUR; every pair is derived through EUR
--   (fx_cross_rate: exact, half-even, 10 places). A day published twice (a correction)
--   keeps the latest landed value.
-- * an optional hand-uploaded file, s3://{raw}/reference/fx_rates/*.csv (date,base,quote,rate):
--   the override. It wins for every (date, base, quote) it holds; the feed fills the rest.
-- Weekends and holidays have no row here: int_fx_pair_rates_daily carries the latest
-- publication forward and says from which date (published_on).
-- LEDGERLAKE_FX_CURRENCIES (e.g. "USD,GBP,CAD"; EUR is always kept) and LEDGERLAKE_FX_FROM
-- (a date) bound the feed's ~30 currencies since 1999 to what the company needs.
{%- set wanted = env_var('LEDGERLAKE_FX_CURRENCIES', '') | upper | replace(' ', '') %}
{%- set fx_from = env_var('LEDGERLAKE_FX_FROM', '') %}
with pages as {{ inline_cte() }} (
    select
        raw_key,
        received_at,
        {{ json_str('payload', '$') }} as document
    from {{ raw_objects('ecb', 'eurofxref') }}
),

{#- (a quote in a pattern is \x27: see regexp_each_row) #}
{%- set day_block = "(?s)<Cube\\s+time=[\\x27\"][0-9-]+[\\x27\"]\\s*>.*?</Cube>" %}
{%- set currency_cube = "<Cube\\s+currency=[^>]*>" %}

day_blocks as (
    select
        raw_key,
        received_at,
        block
    from {{ regexp_each_row('pages', 'p', 'document', day_block, 'block') }}
),

cubes as (
    select
        raw_key,
        received_at,
        cast(regexp_extract(block, 'time=[\x27"]([0-9-]+)[\x27"]', 1) as date) as rate_date,
        cube
    from {{ regexp_each_row('day_blocks', 'b', 'block', currency_cube, 'cube') }}
),

published as (
    {{ dedupe("select rate_date, upper(regexp_extract(cube, 'currency=[\\x27\"]([A-Za-z]{3})', 1)) as currency,
        regexp_extract(cube, 'rate=[\\x27\"]([0-9.]+)', 1) as rate_text, raw_key, received_at from cubes",
        'rate_date, currency', 'received_at desc, raw_key desc') }}
),

per_eur as (
    select
        rate_date,
        currency,
        cast(cast(rate_text as decimal(38, 10)) * 10000000000 as {{ wide_integer_type() }}) as per_eur_e10
    from published
    where rate_text != ''{% if fx_from %} and rate_date >= cast('{{ fx_from }}' as date){% endif %}
    union all
    select distinct
        rate_date,
        'EUR' as currency,
        cast(10000000000 as {{ wide_integer_type() }}) as per_eur_e10
    from published
    {%- if fx_from %} where rate_date >= cast('{{ fx_from }}' as date){% endif %}
),

kept as (
    select * from per_eur
    {%- if wanted %}
        {%- set codes = wanted.split(',') | select | list %}
        where currency = 'EUR' or currency in ('{{ codes | join("', '") }}')
    {%- endif %}
),

feed_rates as (
    select
        b.rate_date,
        b.currency as base_currency,
        q.currency as quote_currency,
        {{ fx_cross_rate('b.per_eur_e10', 'q.per_eur_e10') }} as rate
    from kept as b
    inner join kept as q on q.rate_date = b.rate_date and q.currency != b.currency
),

file_rates as (
    {%- if fx_override_present() %}
    select
        cast(date as date) as rate_date,
        upper(base) as base_currency,
        upper(quote) as quote_currency,
        cast(rate as decimal(38, 10)) as rate
    from {{ fx_rates_file() }}
    {%- else %}
        select
            cast(null as date) as rate_date,
            cast(null as varchar) as base_currency,
            cast(null as varchar) as quote_currency,
            cast(null as decimal(38, 10)) as rate
        where false
    {%- endif %}
)

select
    rate_date,
    base_currency,
    quote_currency,
    rate,
    'file' as rate_source
from file_rates
union all
select
    f.rate_date,
    f.base_currency,
    f.quote_currency,
    f.rate,
    'ecb' as rate_source
from feed_rates as f
where not exists (
    select 1 from file_rates as o
    where o.rate_date = f.rate_date and o.base_currency = f.base_currency and o.quote_currency = f.quote_currency
)

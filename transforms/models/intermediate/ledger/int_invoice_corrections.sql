-- Grain: one row per sales invoice (QBO Invoice, Xero ACCREC invoice) whose amounts were
-- corrected after issue: a later version in the raw lake changed its total or a line's
-- amount (a line added or removed too) from the first version the lake saw. Staging keeps
-- only each record's latest version, so this reads every landed version (the same raw
-- records stg_qbo__records / stg_xero__records dedupe). A payment, a credit or a void
-- changes Balance / AmountDue / AmountCredited / Status, never TotalAmt / Total or the
-- lines, so none of them is a correction. QBO's delete stub ({"Id", "status": "Deleted"})
-- has no amounts and is left out (voids and deletes are counted by the KPI marts).
with {{ qbo_raw_records() }},

{{ xero_raw_records() }},

qbo_versions as (
    select
        {{ ledger_prefix('qbo', 'tenant_id') }} || ':Invoice:' || nullif({{ json_str('record', '$.Id') }}, '')
            as document_key,
        'qbo' as source_system,
        {{ iso_to_utc(json_str('record', '$.MetaData.LastUpdatedTime')) }} as updated_at,
        try_cast({{ json_str('record', '$.SyncToken') }} as integer) as sync_token,
        {{ to_amount(json_str('record', '$.TotalAmt')) }} as total_amount,
        record
    from qbo_raw_records
    where
        entity_type = 'Invoice' and nullif({{ json_str('record', '$.Id') }}, '') is not null
        and {{ json_str('record', '$.TotalAmt') }} is not null
),

xero_versions as (
    select
        {{ ledger_prefix('xero', 'tenant_id') }} || ':Invoice:' || record_id as document_key,
        'xero' as source_system,
        {{ xero_date(json_str('record', '$.UpdatedDateUTC')) }} as updated_at,
        cast(null as integer) as sync_token,
        {{ to_amount(json_str('record', '$.Total')) }} as total_amount,
        record
    from xero_raw_records
    where
        collection = 'Invoices' and record_id is not null and {{ json_str('record', '$.Type') }} = 'ACCREC'
        and {{ json_str('record', '$.Total') }} is not null
),

-- every landed copy of a version, numbered in the provider's order (copies share a number)
versions as (
    select
        document_key,
        source_system,
        updated_at,
        total_amount,
        record,
        dense_rank() over (
            partition by document_key order by updated_at, coalesce(sync_token, 0)
        ) as version_seq
    from (
        select * from qbo_versions
        union all
        select * from xero_versions
    ) as v
),

version_lines as (
    select distinct
        v.document_key,
        v.version_seq,
        coalesce({{ json_str('line', '$.Id') }}, {{ json_str('line', '$.LineNum') }}) as line_id,
        {{ to_amount(json_str('line', '$.Amount')) }} as amount
    from {{ json_each_row('versions', 'v', 'record', '$.Line', 'line', where="v.source_system = 'qbo'") }}
    where {{ json_str('line', '$.DetailType') }} = 'SalesItemLineDetail'
    union all
    select distinct
        v.document_key,
        v.version_seq,
        {{ json_str('line', '$.LineItemID') }} as line_id,
        {{ to_amount(json_str('line', '$.LineAmount')) }} as amount
    from {{ json_each_row('versions', 'v', 'record', '$.LineItems', 'line', where="v.source_system = 'xero'") }}
),

-- a version with lines compares line by line with the first version, if that had lines
-- (a Xero list page without line items is no evidence either way)
lined_versions as (
    select distinct
        document_key,
        version_seq
    from version_lines
),

line_changes as (
    -- a line added, or its amount changed
    select
        l.document_key,
        l.version_seq
    from version_lines as l
    join lined_versions as f on f.document_key = l.document_key and f.version_seq = 1
    left join version_lines as o
        on o.document_key = l.document_key and o.version_seq = 1 and o.line_id = l.line_id
    where l.version_seq > 1 and (o.line_id is null or o.amount != l.amount)
    union all
    -- a line of the first version removed
    select
        v.document_key,
        v.version_seq
    from lined_versions as v
    join version_lines as o on o.document_key = v.document_key and o.version_seq = 1
    left join version_lines as l
        on l.document_key = v.document_key and l.version_seq = v.version_seq and l.line_id = o.line_id
    where v.version_seq > 1 and l.line_id is null
),

firsts as (
    select distinct
        document_key,
        source_system,
        updated_at as first_seen_at,
        total_amount as first_total_amount
    from versions
    where version_seq = 1
),

corrections as (
    select distinct
        v.document_key,
        v.version_seq,
        v.updated_at,
        v.total_amount
    from versions as v
    join firsts as f on f.document_key = v.document_key
    left join line_changes as c on c.document_key = v.document_key and c.version_seq = v.version_seq
    where v.version_seq > 1 and (v.total_amount != f.first_total_amount or c.document_key is not null)
),

first_corrections as (
    {{ dedupe('select * from corrections', 'document_key', 'version_seq') }}
),

counts as (
    select
        document_key,
        count(*) as corrected_versions
    from corrections
    group by document_key
)

select
    f.document_key,
    f.source_system,
    f.first_seen_at,
    f.first_total_amount,
    c.updated_at as corrected_at,
    cast(c.updated_at as date) as corrected_on,
    c.total_amount as corrected_total_amount,
    n.corrected_versions
from firsts as f
join first_corrections as c on c.document_key = f.document_key
join counts as n on n.document_key = f.document_key

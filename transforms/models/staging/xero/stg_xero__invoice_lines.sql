-- One row per line item of a Xero invoice (LineAmount excludes tax when LineAmountTypes = Exclusive).
with source as (
    {{ xero_source('Invoices') }}
),

lines as (
    select
        s.record_id as invoice_id,
        s.tenant_id,
        s.raw_key,
        s.source_system,
        s.line,
        {{ json_str('s.record', '$.Status') }} as status
    from {{ json_each_row('source', 's', 'record', '$.LineItems', 'line') }}
),

renamed as (
    select
        invoice_id || ':' || coalesce(
            {{ json_str('line', '$.LineItemID') }},
            cast(row_number() over (
                partition by tenant_id, invoice_id order by raw_key, cast(line as varchar)
            ) as varchar)
        ) as invoice_line_id,
        invoice_id,
        tenant_id,
        {{ json_str('line', '$.Description') }} as description,
        {{ json_str('line', '$.AccountCode') }} as account_code,
        {{ json_str('line', '$.ItemCode') }} as item_code,
        try_cast({{ json_str('line', '$.Quantity') }} as decimal(38, 6)) as quantity,
        {{ to_amount(json_str('line', '$.UnitAmount')) }} as unit_amount,
        {{ to_amount(json_str('line', '$.LineAmount')) }} as line_amount,
        {{ to_amount('coalesce(' ~ json_str('line', '$.TaxAmount') ~ ", '0')") }} as tax_amount,
        status in ('VOIDED', 'DELETED') as is_voided_or_deleted,
        source_system,
        raw_key
    from lines
)

select * from renamed

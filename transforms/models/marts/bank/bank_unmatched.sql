-- Grain: one row per posted bank-feed line that no ledger line explains (not in
-- bank_matches): the reconciliation queue. Each carries the categoriser's latest suggestion
-- (a GL account with a confidence; the tax code, class and department where the entity
-- uses them, each with its own confidence) and, when a person corrected it, the
-- correction, which always wins. `coding_status`: corrected (a person chose the account), auto_coded (the
-- suggestion was at or above the entity's threshold and is applied), review (below it:
-- waiting for a person), uncoded (no suggestion yet: the categoriser has not run since the
-- line arrived, or the entity has no coded history).
with lines as (
    select *
    from {{ ref('int_bank_lines') }}
    where bank_line_id not in (select m.bank_line_id from {{ ref('bank_matches') }} as m)
),

as_of as (
    select max(line_date) as as_of_date from {{ ref('int_bank_lines') }}
),

suggestion as (
    {{ dedupe(
        'select * from ' ~ ref('stg_ledgerlake__coding_suggestions'),
        'bank_line_id',
        'suggested_at desc, run_id desc'
    ) }}
),

correction as (
    {{ dedupe(
        'select * from ' ~ ref('stg_ledgerlake__coding_corrections'),
        'bank_line_id',
        'corrected_at desc, correction_id desc'
    ) }}
),

accounts as (
    select
        entity_id,
        account_code,
        min(account_name) as account_name
    from {{ ref('int_ledger_accounts') }}
    where not is_deleted
    group by entity_id, account_code
),

coded as (
    select
        l.*,
        case
            when c.bank_line_id is not null then 'corrected'
            when s.status = 'auto_applied' then 'auto_coded'
            when s.status = 'review' then 'review'
            else 'uncoded'
        end as coding_status,
        coalesce(c.account_code, case when s.status = 'auto_applied' then s.account_code end) as account_code,
        s.account_code as suggested_account_code,
        s.confidence as suggestion_confidence,
        s.method as suggestion_method,
        {%- for label in ['tax_code', 'class_name', 'department_name'] %}
            coalesce(
                c.{{ label }}, case when s.{{ label }}_status = 'auto_applied' then s.{{ label }} end
            ) as {{ label }},
            s.{{ label }} as suggested_{{ label }},
            s.{{ label }}_confidence,
        {%- endfor %}
        s.suggested_at,
        c.corrected_by,
        c.corrected_at,
        c.note as correction_note
    from lines as l
    left join suggestion as s on s.bank_line_id = l.bank_line_id
    left join correction as c on c.bank_line_id = l.bank_line_id
)

select
    c.bank_line_id,
    c.entity_id,
    c.bank_account_id,
    c.account_key,
    c.currency,
    c.line_date,
    c.amount,
    c.description,
    c.counterparty_name,
    c.reference_number,
    c.bank_category,
    {{ days_between('c.line_date', 'as_of.as_of_date') }} as days_outstanding,
    c.coding_status,
    c.coding_status in ('review', 'uncoded') as needs_review,
    c.account_code,
    a.account_name,
    c.suggested_account_code,
    sa.account_name as suggested_account_name,
    c.suggestion_confidence,
    c.suggestion_method,
    {%- for label in ['tax_code', 'class_name', 'department_name'] %}
        c.{{ label }},
        c.suggested_{{ label }},
        c.{{ label }}_confidence,
    {%- endfor %}
    c.suggested_at,
    c.corrected_by,
    c.corrected_at,
    c.correction_note,
    c.source_system,
    c.source_id,
    c.raw_key
from coded as c
cross join as_of
left join accounts as a on a.entity_id = c.entity_id and a.account_code = c.account_code
left join accounts as sa on sa.entity_id = c.entity_id and sa.account_code = c.suggested_account_code

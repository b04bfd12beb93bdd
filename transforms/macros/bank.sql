{#
  Bank reconciliation (marts/bank): the one engine-specific construct the matcher needs.
  The edit distance between two strings (a reference typed with two characters swapped is
  at distance 2). DuckDB and Spark call it levenshtein, Trino levenshtein_distance.
#}
{% macro edit_distance(a, b) -%}
    {{ return(adapter.dispatch('edit_distance', 'ledgerlake')(a, b)) }}
{%- endmacro %}
{% macro duckdb__edit_distance(a, b) -%}
    levenshtein({{ a }}, {{ b }})
{%- endmacro %}
{% macro spark__edit_distance(a, b) -%}
    levenshtein({{ a }}, {{ b }})
{%- endmacro %}
{% macro default__edit_distance(a, b) -%}
    levenshtein_distance({{ a }}, {{ b }})
{%- endmacro %}

{#
  The matching rules of bank_matches, in the order they run. Each rule is its own model
  (intermediate/bank/matching/int_bank_match_<rule>) matching only what the rules before it
  left, so every engine plans one rule at a time (Spark inlined the whole chain when it was
  one model's CTEs, #21) and each rule's pairs can be read on their own.
#}
{% macro bank_match_rules() -%}
    {{ return([
        'reference', 'reference_many_ledger', 'reference_many_bank', 'fee_netted',
        'reference_transposed', 'amount_same_day', 'amount_window',
    ]) }}
{%- endmacro %}

{# The pairs the given rules matched (bank_line_id, ledger_line_id, match_rule), unioned. #}
{% macro bank_rule_matches(rules) -%}
    {%- for rule in rules %}
    select bank_line_id, ledger_line_id, match_rule from {{ ref('int_bank_match_' ~ rule) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{# The pairs every rule before `rule` matched. #}
{% macro bank_earlier_matches(rule) -%}
    {%- set rules = bank_match_rules() %}
    {{- bank_rule_matches(rules[:rules.index(rule)]) }}
{%- endmacro %}

{#
  Rules 2 and 3, one the mirror of the other: one line on the `one` side ('bank' or
  'ledger') quoted with several open lines on the `many` side that sum to it, each of those
  quoted with no other open line.
#}
{% macro bank_match_reference_many(rule, one, many) -%}
with earlier as (
    {{ bank_earlier_matches(rule) }}
),

open_quoted as (
    select
        q.*,
        count(*) over (partition by q.{{ many }}_line_id) as quoted_by
    from {{ ref('int_bank_quoted_pairs') }} as q
    where
        q.bank_line_id not in (select e.bank_line_id from earlier as e)
        and q.ledger_line_id not in (select e.ledger_line_id from earlier as e)
),

groups as (
    select {{ one }}_line_id
    from open_quoted
    group by {{ one }}_line_id, {{ one }}_amount
    having count(*) >= 2 and sum({{ many }}_amount) = {{ one }}_amount and max(quoted_by) = 1
)

select
    q.bank_line_id,
    q.ledger_line_id,
    '{{ rule }}' as match_rule
from open_quoted as q
inner join groups as g on g.{{ one }}_line_id = q.{{ one }}_line_id
{%- endmacro %}

{#
  Rules 6 and 7: the n-th open line of an amount on one side meets the n-th on the other,
  per account and day (same_day), or per account in date order within the match window.
#}
{% macro bank_match_by_amount(rule, same_day) -%}
{%- set window = var('bank_match_window_days') | int %}
with earlier as (
    {{ bank_earlier_matches(rule) }}
),

bank as (
    {{ bank_open_lines_numbered(ref('int_bank_lines'), 'bank_line_id', 'line_date', same_day) }}
),

ledger as (
    {{ bank_open_lines_numbered(ref('int_bank_ledger_lines'), 'ledger_line_id', 'posted_on', same_day) }}
)

select
    b.bank_line_id,
    l.ledger_line_id,
    '{{ rule }}' as match_rule
from bank as b
inner join ledger as l
    on
        l.account_key = b.account_key
        and l.amount = b.amount
        {%- if same_day %}
        and l.posted_on = b.line_date
        {%- endif %}
        and l.nth = b.nth
{%- if not same_day %}
where abs({{ days_between('l.posted_on', 'b.line_date') }}) <= {{ window }}
{%- endif %}
{%- endmacro %}

{#
  One side's lines no earlier rule matched (`earlier` in scope), each numbered among the lines
  of its account and amount (and day, when same_day) in date and id order.
#}
{% macro bank_open_lines_numbered(relation, id, day, same_day) -%}
    select
        x.{{ id }},
        x.account_key,
        x.amount,
        x.{{ day }},
        row_number() over (
            partition by x.account_key, x.amount{% if same_day %}, x.{{ day }}{% endif %}
            order by {% if not same_day %}x.{{ day }}, {% endif %}x.{{ id }}
        ) as nth
    from {{ relation }} as x
    where x.{{ id }} not in (select e.{{ id }} from earlier as e)
{%- endmacro %}

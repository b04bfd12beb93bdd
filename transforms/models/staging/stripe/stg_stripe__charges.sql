with objects as (
    select * from {{ ref('stg_stripe__objects') }}
    where object_type = 'charge'
),

renamed as (
    select
        -- ids
        tenant_id,
        object_id as charge_id,
        {{ json_str('object', '$.customer') }} as customer_id,
        {{ json_str('object', '$.invoice') }} as invoice_id,
        {{ json_str('object', '$.payment_intent') }} as payment_intent_id,
        {{ json_str('object', '$.balance_transaction') }} as balance_transaction_id,
        -- money
        upper({{ json_str('object', '$.currency') }}) as currency,
        try_cast({{ json_str('object', '$.amount') }} as bigint) as amount_minor,
        {{ minor_to_amount(json_str('object', '$.amount'), json_str('object', '$.currency')) }} as amount,
        {{ minor_to_amount(
            json_str('object', '$.amount_refunded'),
            json_str('object', '$.currency')
        ) }} as amount_refunded,
        -- status
        -- API versions before 2015-02-18 say `paid` for a successful charge; older charges
        -- carry no `status` at all, only the `paid` flag (true: succeeded or authorised).
        case
            when {{ json_str('object', '$.status') }} = 'paid' then 'succeeded'
            when {{ json_str('object', '$.status') }} is not null then {{ json_str('object', '$.status') }}
            when try_cast({{ json_str('object', '$.paid') }} as boolean) then 'succeeded'
            when not try_cast({{ json_str('object', '$.paid') }} as boolean) then 'failed'
        end as status,
        try_cast({{ json_str('object', '$.paid') }} as boolean) as is_paid,
        try_cast({{ json_str('object', '$.refunded') }} as boolean) as is_refunded,
        {{ json_str('object', '$.description') }} as description,
        {{ json_str('object', '$.billing_details.email') }} as billing_email,
        {{ json_str('object', '$.billing_details.name') }} as billing_name,
        {{ json_get('object', '$.metadata') }} as metadata,
        -- timestamps
        -- a charge without `created` is dated by the event that carried it
        coalesce(
            {{ from_unix_seconds(json_str('object', '$.created')) }},
            {{ from_unix_seconds('created_unix') }}
        ) as created_at,
        -- lineage
        is_deleted,
        source_system,
        object_id as source_id,
        event_id as source_event_id,
        raw_key
    from objects
)

-- a charge without amount or currency has no money to count: it is in stg_stripe__quarantine
select * from renamed
where amount is not null and nullif(currency, '') is not null

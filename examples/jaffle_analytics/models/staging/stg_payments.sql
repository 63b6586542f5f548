with source as (

    select * from {{ source('shop', 'payments') }}

)

select
    id as payment_id,
    order_id,
    payment_method,
    amount_cents,
    {{ cents_to_dollars('amount_cents') }} as amount,
    _loaded_at as loaded_at
from source

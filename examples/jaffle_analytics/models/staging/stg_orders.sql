with source as (

    select * from {{ source('shop', 'orders') }}

)

select
    id as order_id,
    customer_id,
    ordered_at,
    cast(ordered_at as date) as order_date,
    status,
    _loaded_at as loaded_at
from source

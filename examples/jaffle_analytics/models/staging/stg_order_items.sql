select
    id as order_item_id,
    order_id,
    product_id,
    quantity,
    _loaded_at as loaded_at
from {{ source('shop', 'order_items') }}

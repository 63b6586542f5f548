select
    id as product_id,
    sku,
    name as product_name,
    category,
    price_cents,
    {{ cents_to_dollars('price_cents') }} as price
from {{ source('shop', 'products') }}

with sales as (

    select
        product_id,
        sum(quantity) as units_sold,
        sum(line_amount) as gross_revenue
    from {{ ref('fct_order_items') }}
    group by 1

)

select
    products.product_id,
    products.sku,
    products.product_name,
    products.category,
    products.price,
    coalesce(sales.units_sold, 0) as units_sold,
    coalesce(sales.gross_revenue, 0) as gross_revenue
from {{ ref('stg_products') }} as products
left join sales on products.product_id = sales.product_id

-- Singular test: for every order, payments must cover the priced order lines
-- (to the cent). Returns the offending orders; passes when it returns no row.
with items as (

    select items.order_id, sum(items.quantity * products.price) as items_amount
    from {{ ref('stg_order_items') }} as items
    inner join {{ ref('stg_products') }} as products
        on items.product_id = products.product_id
    group by 1

),

payments as (

    select order_id, sum(amount) as paid
    from {{ ref('stg_payments') }}
    group by 1

)

select items.order_id, items.items_amount, payments.paid
from items
left join payments on items.order_id = payments.order_id
where abs(coalesce(payments.paid, 0) - items.items_amount) > 0.005

with customers as (

    select * from {{ ref('stg_customers') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

payments as (

    select * from {{ ref('int_order_payments_pivoted') }}

),

customer_orders as (

    select
        orders.customer_id,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as most_recent_order_at,
        count(*) as number_of_orders,
        sum(coalesce(payments.total_amount, 0)) as lifetime_value
    from orders
    left join payments on orders.order_id = payments.order_id
    where orders.status <> 'returned'
    group by 1

)

select
    customers.customer_id,
    customers.first_name,
    customers.last_name,
    customers.full_name,
    customers.email,
    customers.country_code,
    customers.created_at,
    customer_orders.first_order_at,
    customer_orders.most_recent_order_at,
    coalesce(customer_orders.number_of_orders, 0) as number_of_orders,
    coalesce(customer_orders.lifetime_value, 0) as lifetime_value,
    case
        when customer_orders.number_of_orders is null then 'prospect'
        when customer_orders.number_of_orders = 1 then 'new'
        else 'returning'
    end as customer_type
from customers
left join customer_orders on customers.customer_id = customer_orders.customer_id

with payments as (

    select
        customer_id,
        sum(amount) as gross_paid,
        sum(processing_fee) as fees,
        sum(net_amount) as net_paid
    from {{ ref('fct_payments') }}
    group by 1

)

select
    customers.customer_id,
    customers.full_name,
    customers.customer_type,
    customers.first_order_at,
    customers.number_of_orders,
    coalesce(payments.gross_paid, 0) as gross_paid,
    coalesce(payments.fees, 0) as fees,
    coalesce(payments.net_paid, 0) as net_ltv,
    case
        when coalesce(payments.net_paid, 0) >= 100 then 'gold'
        when coalesce(payments.net_paid, 0) >= 40 then 'silver'
        else 'bronze'
    end as ltv_tier
from {{ ref('dim_customers') }} as customers
left join payments on customers.customer_id = payments.customer_id

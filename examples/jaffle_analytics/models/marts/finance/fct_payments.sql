select
    payments.payment_id,
    payments.order_id,
    orders.customer_id,
    orders.order_date,
    payments.payment_method,
    methods.display_name as payment_method_name,
    methods.is_cash_equivalent,
    payments.amount,
    round(payments.amount * methods.processing_fee_pct / 100.0, 2) as processing_fee,
    payments.amount - round(payments.amount * methods.processing_fee_pct / 100.0, 2) as net_amount
from {{ ref('stg_payments') }} as payments
inner join {{ ref('stg_orders') }} as orders
    on payments.order_id = orders.order_id
left join {{ ref('payment_methods') }} as methods
    on payments.payment_method = methods.payment_method

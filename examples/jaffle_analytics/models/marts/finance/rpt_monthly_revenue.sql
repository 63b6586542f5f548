{{ config(materialized='view') }}

select
    cast(date_trunc('month', order_date) as date) as revenue_month,
    payment_method,
    count(*) as payment_count,
    sum(amount) as gross_revenue,
    sum(processing_fee) as processing_fees,
    sum(net_amount) as net_revenue
from {{ ref('fct_payments') }}
group by 1, 2

{{
    config(
        materialized='incremental',
        unique_key='order_id',
        on_schema_change='append_new_columns',
        tags=['nightly']
    )
}}

with orders as (

    select * from {{ ref('stg_orders') }}
    {% if is_incremental() %}
    where ordered_at > (select max(ordered_at) from {{ this }})
    {% endif %}

),

items as (

    select
        order_id,
        count(*) as item_count,
        sum(quantity) as unit_count,
        sum(line_amount) as items_amount
    from {{ ref('fct_order_items') }}
    group by 1

),

payments as (

    select * from {{ ref('int_order_payments_pivoted') }}

)

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.order_date,
    orders.status,
    coalesce(items.item_count, 0) as item_count,
    coalesce(items.unit_count, 0) as unit_count,
    coalesce(items.items_amount, 0) as items_amount,
    coalesce(payments.credit_card_amount, 0) as credit_card_amount,
    coalesce(payments.bank_transfer_amount, 0) as bank_transfer_amount,
    coalesce(payments.gift_card_amount, 0) as gift_card_amount,
    coalesce(payments.coupon_amount, 0) as coupon_amount,
    coalesce(payments.paypal_amount, 0) as paypal_amount,
    coalesce(payments.total_amount, 0) as amount
from orders
left join items on orders.order_id = items.order_id
left join payments on orders.order_id = payments.order_id

{#- Ephemeral: inlined as a CTE into its consumers, never built in the warehouse. -#}
{%- set methods = ['credit_card', 'bank_transfer', 'gift_card', 'coupon', 'paypal'] -%}

with payments as (

    select * from {{ ref('stg_payments') }}

),

methods as (

    select * from {{ ref('payment_methods') }}

)

select
    payments.order_id,
    {% for method in methods -%}
    sum(case when payments.payment_method = '{{ method }}' then payments.amount else 0 end) as {{ method }}_amount,
    {% endfor -%}
    sum(case when methods.is_cash_equivalent then payments.amount else 0 end) as cash_equivalent_amount,
    sum(payments.amount) as total_amount,
    count(*) as payment_count
from payments
left join methods on payments.payment_method = methods.payment_method
group by 1

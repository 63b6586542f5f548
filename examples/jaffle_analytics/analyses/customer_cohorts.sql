-- Analysis (compiled, never run): monthly signup cohorts and their order counts.
select
    date_trunc('month', created_at) as cohort_month,
    count(*) as customers,
    sum(number_of_orders) as orders
from {{ ref('dim_customers') }}
group by 1
order by 1

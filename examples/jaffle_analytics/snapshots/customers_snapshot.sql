{% snapshot customers_snapshot %}

{{
    config(
        target_schema='snapshots',
        unique_key='id',
        strategy='timestamp',
        updated_at='updated_at',
    )
}}

select id, first_name, last_name, email, country_code, created_at, updated_at
from {{ source('shop', 'customers') }}

{% endsnapshot %}

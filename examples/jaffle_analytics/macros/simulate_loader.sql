{#-
    Simulated EL loader. The seeds stand in for tables an ingestion tool lands in
    `raw`; this rewrites their `_loaded_at` column relative to now() so that
    `dbt source freshness` is deterministic:

      raw_customers    newest row 2 hours ago   -> pass
      raw_orders       newest row 1 hour ago    -> pass
      raw_order_items  newest row 1 hour ago    -> pass
      raw_payments     newest row 30 hours ago  -> warn (warn_after 24h, error_after 72h)

    Older rows are spread 5 minutes apart per id, as if loaded in batches.
    Usage:  dbt run-operation simulate_loader
    The same stamp runs as a post-hook of each seed, because `dbt build`
    reloads the seeds (truncate + insert) after the loader ran.
-#}

{% macro loader_hours_ago(table_name) -%}
    {%- set hours = {
        'raw_customers': 2,
        'raw_orders': 1,
        'raw_order_items': 1,
        'raw_payments': 30,
    } -%}
    {{- return(hours.get(table_name)) -}}
{%- endmacro %}

{% macro stamp_loaded_at(relation) -%}
    {%- set hours = loader_hours_ago(relation.identifier) -%}
    {%- if hours is none -%}
        select 1
    {%- else -%}
        update {{ relation }}
        set _loaded_at = now()
            - interval '{{ hours }} hours'
            - ((select max(id) from {{ relation }}) - id) * interval '5 minutes'
    {%- endif -%}
{%- endmacro %}

{% macro simulate_loader() %}
    {% for table_name in ['raw_customers', 'raw_orders', 'raw_order_items', 'raw_payments'] %}
        {% set relation = adapter.get_relation(database=target.database, schema='raw', identifier=table_name) %}
        {% if relation is none %}
            {{ exceptions.raise_compiler_error("simulate_loader: raw." ~ table_name ~ " does not exist; run `dbt seed` first") }}
        {% endif %}
        {% do run_query(stamp_loaded_at(relation)) %}
        {{ log("simulate_loader: " ~ relation ~ " loaded " ~ loader_hours_ago(table_name) ~ "h ago", info=True) }}
    {% endfor %}
    {% do run_query("commit") %}
{% endmacro %}

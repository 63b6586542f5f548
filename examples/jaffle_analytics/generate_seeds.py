#!/usr/bin/env python3
"""Deterministically (re)generate the seed CSVs of the jaffle_analytics example.

The CSVs are committed; run this only to change the data:
    python3 examples/jaffle_analytics/generate_seeds.py
No third-party packages; a fixed random seed keeps the output byte-identical.

The `_loaded_at` columns carry a placeholder timestamp: the `simulate_loader`
macro (run-operation, and a post-hook on the seeds) rewrites them relative to
now() so that `dbt source freshness` gives a deterministic pass/warn mix.
"""
import csv
import datetime as dt
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")
PLACEHOLDER_LOADED_AT = "2024-01-01 00:00:00+00"

rng = random.Random(20240601)

FIRST = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farah", "Gus", "Hana", "Ivan", "Jade",
         "Kofi", "Lena", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
         "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe"]
LAST = ["Adams", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
        "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi",
        "Silva", "Tanaka", "Weber"]
COUNTRIES = ["US", "US", "US", "GB", "DE", "FR", "NL", "CA", "AU", "JP"]

PRODUCTS = [
    # id, sku, name, category, price_cents
    (1, "JAF-001", "Classic Cheese Jaffle", "jaffle", 850),
    (2, "JAF-002", "Ham & Cheese Jaffle", "jaffle", 950),
    (3, "JAF-003", "Spicy Bean Jaffle", "jaffle", 900),
    (4, "JAF-004", "Mushroom Melt Jaffle", "jaffle", 1050),
    (5, "JAF-005", "Nutella Banana Jaffle", "jaffle", 800),
    (6, "BEV-001", "Flat White", "beverage", 450),
    (7, "BEV-002", "Iced Tea", "beverage", 350),
    (8, "BEV-003", "Fresh Orange Juice", "beverage", 500),
    (9, "BEV-004", "Cold Brew", "beverage", 550),
    (10, "SID-001", "Sweet Potato Fries", "side", 600),
    (11, "SID-002", "Garden Salad", "side", 700),
    (12, "MER-001", "Jaffle Iron (home edition)", "merch", 4500),
]
PRICE = {p[0]: p[4] for p in PRODUCTS}

N_CUSTOMERS = 100
N_ORDERS = 300
START = dt.datetime(2024, 1, 1, 8, 0, 0)


def write(name, header, rows):
    path = os.path.join(SEEDS, name + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{path}: {len(rows)} rows")


def main():
    customers = []
    for cid in range(1, N_CUSTOMERS + 1):
        fn, ln = rng.choice(FIRST), rng.choice(LAST)
        created = START + dt.timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1439))
        updated = created + dt.timedelta(days=rng.randint(0, 60))
        customers.append([cid, fn, ln, f"{fn}.{ln}{cid}@example.com".lower(),
                          rng.choice(COUNTRIES), created.strftime("%Y-%m-%d %H:%M:%S"),
                          updated.strftime("%Y-%m-%d %H:%M:%S"), PLACEHOLDER_LOADED_AT])
    write("raw_customers",
          ["id", "first_name", "last_name", "email", "country_code", "created_at", "updated_at",
           "_loaded_at"], customers)

    write("raw_products", ["id", "sku", "name", "category", "price_cents"],
          [list(p) for p in PRODUCTS])

    # The last 10 customers never order (dim_customers.first_order_at is null for them:
    # that is what the severity-warn test catches).
    ordering_customers = list(range(1, N_CUSTOMERS - 9))
    orders, items, payments = [], [], []
    item_id = payment_id = 0
    for oid in range(1, N_ORDERS + 1):
        cust = rng.choice(ordering_customers)
        ordered = START + dt.timedelta(days=oid * 150 / N_ORDERS, minutes=rng.randint(0, 600))
        age = N_ORDERS - oid
        if age < 8:
            status = "placed"
        elif age < 20:
            status = "shipped"
        else:
            status = rng.choices(["completed", "return_pending", "returned"], [90, 4, 6])[0]
        orders.append([oid, cust, ordered.strftime("%Y-%m-%d %H:%M:%S"), status,
                       PLACEHOLDER_LOADED_AT])
        total = 0
        for product in rng.sample(range(1, len(PRODUCTS) + 1), rng.choice([1, 1, 2, 2, 3])):
            qty = rng.choice([1, 1, 1, 2])
            item_id += 1
            items.append([item_id, oid, product, qty, PLACEHOLDER_LOADED_AT])
            total += qty * PRICE[product]
        # Pay: sometimes a coupon covers part of it, the rest by one method.
        parts = []
        if rng.random() < 0.15 and total > 500:
            parts.append(("coupon", 500))
            total -= 500
        parts.append((rng.choices(["credit_card", "bank_transfer", "gift_card", "paypal"],
                                  [60, 15, 10, 15])[0], total))
        for method, amount in parts:
            payment_id += 1
            payments.append([payment_id, oid, method, amount, PLACEHOLDER_LOADED_AT])
    write("raw_orders", ["id", "customer_id", "ordered_at", "status", "_loaded_at"], orders)
    write("raw_order_items", ["id", "order_id", "product_id", "quantity", "_loaded_at"], items)
    write("raw_payments", ["id", "order_id", "payment_method", "amount_cents", "_loaded_at"],
          payments)

    write("payment_methods",
          ["payment_method", "display_name", "is_cash_equivalent", "processing_fee_pct"],
          [["credit_card", "Credit card", "false", "2.9"],
           ["bank_transfer", "Bank transfer", "true", "0.5"],
           ["gift_card", "Gift card", "true", "0"],
           ["coupon", "Coupon", "false", "0"],
           ["paypal", "PayPal", "false", "3.4"]])


if __name__ == "__main__":
    main()

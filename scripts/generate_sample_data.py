#!/usr/bin/env python3
"""Generate the repo's small, deterministic retail-sales sample (the raw zone copy).

Writes ``sample_data/sales/dt=YYYY-MM-DD/sales.csv`` for 2026-01-01 .. 2026-01-14, one
order line per row, header row, no ``dt`` column (``dt`` is the Hive-style partition
folder: the raw crawler derives it from the path, and a column of the same name inside
the file would clash with it).

Stdlib only and seeded, so re-running it reproduces the committed files byte for byte
(a test checks this). The data carries a small, documented amount of dirt that the
curation job (``spark_jobs/curate_sales``) must clean:

* ``exact_duplicate``      - a row repeated verbatim (an at-least-once export re-sent it);
* ``order_id_replay``      - the same order re-sent minutes later, same day, with a later
                             ``order_ts``; the job keeps the earliest;
* ``missing_quantity``     - ``quantity`` empty;
* ``nonpositive_quantity`` - ``quantity`` 0 or negative;
* ``missing_price``        - ``unit_price`` empty;
* ``messy_text``           - surrounding spaces or wrong case in ``channel``/``country``;
                             these rows are valid and are kept after normalisation.

The first five kinds are dropped by the job; each dirty row has one kind only, so the
clean row count is ``raw rows - (sum of the five dropped kinds)``.

All dirt is in the second week (2026-01-08 .. 01-14). The first week is clean on purpose:
the ``revenue_by_day_raw``/``_curated`` named queries and the smoke test compare raw and
curated results over 2026-01-01 .. 01-07, which only agree where there is nothing to clean.
"""
import argparse
import csv
import datetime as dt
import io
import random
from pathlib import Path

SEED = 20260101
FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 14
COLUMNS = ["order_id", "order_ts", "customer_id", "product_id", "category",
           "quantity", "unit_price", "currency", "country", "channel"]
DIRT = {"exact_duplicate": 6, "order_id_replay": 3, "missing_quantity": 3,
        "nonpositive_quantity": 4, "missing_price": 2, "messy_text": 24}
DROPPED_KINDS = ("exact_duplicate", "order_id_replay", "missing_quantity",
                 "nonpositive_quantity", "missing_price")
DIRTY_FROM = 7  # index of 2026-01-08: see the docstring for why the first week is clean

# (category, base EUR price range); SKU ranges are contiguous per category.
CATEGORIES = [("electronics", 19, 899), ("home", 6, 249), ("apparel", 9, 149),
              ("beauty", 4, 69), ("grocery", 2, 29), ("sports", 8, 299)]
COUNTRIES = {"DE": ("EUR", 24), "FR": ("EUR", 16), "NL": ("EUR", 8), "ES": ("EUR", 8),
             "IT": ("EUR", 7), "IE": ("EUR", 3), "GB": ("GBP", 14), "US": ("USD", 20)}
FX = {"EUR": 1.0, "GBP": 0.86, "USD": 1.09}
CHANNELS = {"web": 45, "mobile": 35, "store": 20}
# Orders by hour of day (UTC): quiet nights, lunch and evening peaks.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7, 7, 8, 9, 11, 12, 11, 8, 5, 3]


def _price(base_eur, currency):
    """A shelf price in the currency, ending in .99 or .49 like real price points."""
    value = base_eur * FX[currency]
    return max(0.49, int(value) + (0.99 if value % 1 >= 0.5 else 0.49))


def _catalog(rng):
    products = []
    sku = 1001
    for category, low, high in CATEGORIES:
        for _ in range(8):
            products.append((f"SKU-{sku}", category, round(rng.uniform(low, high), 2)))
            sku += 1
    return products


def _customers(rng, n=600):
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c][1] for c in codes]
    return [(f"CUST-{i:05d}", rng.choices(codes, weights)[0]) for i in range(1, n + 1)]


def _clean_days(rng):
    """Clean order lines per day, order ids increasing with time across the period."""
    products, customers = _catalog(rng), _customers(rng)
    # Popular products and loyal customers: weights skewed, not uniform.
    product_w = [1 / (i + 1) ** 0.6 for i in range(len(products))]
    rng.shuffle(product_w)
    customer_w = [rng.paretovariate(1.5) for _ in customers]
    days, next_id = [], 1
    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        n = int(240 * (1.25 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1))
        seconds = sorted(rng.choices(range(24), HOUR_WEIGHTS)[0] * 3600 + rng.randrange(3600)
                         for _ in range(n))
        rows = []
        for sec in seconds:
            sku, category, base = rng.choices(products, product_w)[0]
            cust, country = rng.choices(customers, customer_w)[0]
            currency = COUNTRIES[country][0]
            ts = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=sec)
            rows.append({
                "order_id": f"ORD-{next_id:07d}",
                "order_ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "customer_id": cust, "product_id": sku, "category": category,
                "quantity": str(rng.choices([1, 2, 3, 4, 5, 6], [60, 22, 9, 5, 2, 2])[0]),
                "unit_price": f"{_price(base, currency):.2f}", "currency": currency,
                "country": country,
                "channel": rng.choices(list(CHANNELS), list(CHANNELS.values()))[0],
            })
            next_id += 1
        days.append((day, rows))
    return days


def _add_dirt(rng, days):
    """Dirty a few distinct rows per kind.

    Returns [(day, rows incl. inserted ones, dirty-row count)].
    """
    # Candidate rows before 23:00 so a replay a few minutes later stays on the same day.
    pool = [(d, i) for d, (_, rows) in enumerate(days) for i, r in enumerate(rows)
            if d >= DIRTY_FROM and r["order_ts"][11:13] < "23"]
    picks = rng.sample(pool, sum(DIRT.values()))
    inserts = {d: [] for d in range(len(days))}
    dirty = [0] * len(days)
    for kind, count in DIRT.items():
        for d, i in (picks.pop() for _ in range(count)):
            dirty[d] += 1
            row = days[d][1][i]
            if kind == "exact_duplicate":
                inserts[d].append(dict(row))
            elif kind == "order_id_replay":
                ts = dt.datetime.strptime(row["order_ts"], "%Y-%m-%dT%H:%M:%SZ")
                later = ts + dt.timedelta(seconds=rng.randrange(120, 900))
                inserts[d].append(dict(row, order_ts=later.strftime("%Y-%m-%dT%H:%M:%SZ")))
            elif kind == "missing_quantity":
                row["quantity"] = ""
            elif kind == "nonpositive_quantity":
                row["quantity"] = rng.choice(["0", "-1", "-2"])
            elif kind == "missing_price":
                row["unit_price"] = ""
            else:  # messy_text
                if rng.random() < 0.5:
                    row["channel"] = rng.choice([" {} ", "{} ", " {}"]).format(
                        rng.choice([row["channel"].upper(), row["channel"].title()]))
                else:
                    row["country"] = rng.choice([" {}", "{} ", "{}"]).format(row["country"].lower())
    out = []
    for d, (day, rows) in enumerate(days):
        # Stable sort keeps a duplicate right after its original, as a retried export would.
        out.append((day, sorted(rows + inserts[d], key=lambda r: r["order_ts"]), dirty[d]))
    return out


def render(day_rows):
    """CSV text with a header, '\\n' line ends (the csv module's default is '\\r\\n')."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(day_rows)
    return buf.getvalue()


def generate(out_dir):
    """Write the files under out_dir; return {day: (rows, bytes, dirty rows)}."""
    rng = random.Random(SEED)
    stats = {}
    for day, rows, dirty in _add_dirt(rng, _clean_days(rng)):
        path = Path(out_dir) / f"dt={day.isoformat()}" / "sales.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = render(rows).encode("utf-8")
        path.write_bytes(data)
        stats[day.isoformat()] = (len(rows), len(data), dirty)
    return stats


def main(argv=None):
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(repo / "sample_data" / "sales"),
                        help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    stats = generate(args.out)
    print("| dt | rows | dirty rows | bytes |\n|---|---:|---:|---:|")
    for day, (rows, size, dirty) in stats.items():
        print(f"| {day} | {rows} | {dirty} | {size} |")
    total_rows, total_bytes, total_dirty = (sum(col) for col in zip(*stats.values()))
    dropped = sum(DIRT[k] for k in DROPPED_KINDS)
    print(f"| total | {total_rows} | {total_dirty} | {total_bytes} |\n")
    print("dirty rows by kind: " + ", ".join(f"{k}={v}" for k, v in DIRT.items()))
    print(f"rows dropped by the job: {dropped}; clean rows expected: {total_rows - dropped}")
    print(f"files: {len(stats)} under {args.out}; total bytes: {total_bytes}")


if __name__ == "__main__":
    main()

"""The sales sample: retail order lines, CSV with a header (`sales.csv`), one folder per arrival
day, with the documented dirt of `DIRT` (sample_data says what each effect means). Run it with
scripts/generate_sample_data.py."""
import csv
import datetime as dt
import io
import itertools
import random

from sample_data import (  # noqa: F401
    CATALOG_SEED, CATEGORIES, DAYS, DIRTY_FROM, DUPLICATE, HOUR_WEIGHTS, KEPT, LATE, Dirt, Sample,
    catalog as _catalog, day as _day, day_counts as _day_counts, folder as _folder, scaled as _scaled,
)

SALES_SEED = CATALOG_SEED  # the shop's product catalog is drawn first from this seed
ROWS = 3684  # rows of the shipped sample, the base of --rows scaling
SALES_COLUMNS = ["order_id", "order_ts", "customer_id", "product_id", "category",
                 "quantity", "unit_price", "currency", "country", "channel"]
DIRT = {
    "exact_duplicate": (6, DUPLICATE),        # an at-least-once export re-sent a row verbatim
    "order_id_replay": (3, DUPLICATE),        # the order re-sent minutes later, later order_ts
    "missing_quantity": (3, "quantity:required"),
    "nonpositive_quantity": (4, "quantity:exclusive_minimum"),
    "missing_price": (2, "unit_price:required"),
    "messy_text": (24, KEPT),                 # stray spaces / wrong case in channel or country
}
COUNTRIES = {"DE": ("EUR", 24), "FR": ("EUR", 16), "NL": ("EUR", 8), "ES": ("EUR", 8),
             "IT": ("EUR", 7), "IE": ("EUR", 3), "GB": ("GBP", 14), "US": ("USD", 20)}
FX = {"EUR": 1.0, "GBP": 0.86, "USD": 1.09}
CHANNELS = {"web": 45, "mobile": 35, "store": 20}
SALES_TS = "%Y-%m-%dT%H:%M:%SZ"


def _price(base_eur, currency):
    """A shelf price in the currency, ending in .99 or .49 like real price points."""
    value = base_eur * FX[currency]
    return max(0.49, int(value) + (0.99 if value % 1 >= 0.5 else 0.49))


def _customers(rng, n):
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c][1] for c in codes]
    return [(f"CUST-{i:05d}", rng.choices(codes, weights)[0]) for i in range(1, n + 1)]


def _sales_days(rng, day_counts, customers):
    """Clean order lines per day, order ids increasing with time across the period."""
    products, customers = _catalog(rng), _customers(rng, customers)
    # Popular products and loyal customers: weights skewed, not uniform.
    product_w = [1 / (i + 1) ** 0.6 for i in range(len(products))]
    rng.shuffle(product_w)
    customer_w = [rng.paretovariate(1.5) for _ in customers]
    # Cumulative weights once, not per draw (what choices() would redo each call): same draws.
    product_cw, customer_cw = list(itertools.accumulate(product_w)), list(itertools.accumulate(customer_w))
    days, next_id = [], 1
    for d in range(DAYS):
        day = _day(d)
        if day_counts:
            n = day_counts[d]
        else:
            n = int(240 * (1.25 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1))
        seconds = sorted(rng.choices(range(24), HOUR_WEIGHTS)[0] * 3600 + rng.randrange(3600)
                         for _ in range(n))
        rows = []
        for sec in seconds:
            sku, category, base = rng.choices(products, cum_weights=product_cw)[0]
            cust, country = rng.choices(customers, cum_weights=customer_cw)[0]
            currency = COUNTRIES[country][0]
            ts = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=sec)
            rows.append({
                "order_id": f"ORD-{next_id:07d}",
                "order_ts": ts.strftime(SALES_TS),
                "customer_id": cust, "product_id": sku, "category": category,
                "quantity": str(rng.choices([1, 2, 3, 4, 5, 6], [60, 22, 9, 5, 2, 2])[0]),
                "unit_price": f"{_price(base, currency):.2f}", "currency": currency,
                "country": country,
                "channel": rng.choices(list(CHANNELS), list(CHANNELS.values()))[0],
            })
            next_id += 1
        days.append(rows)
    return days


def _sales_dirt(rng, days, dirt, ledger):
    """Dirty distinct rows, one kind each; returns the rows per day including inserted ones."""
    # Candidate rows before 23:00 so a replay a few minutes later stays on the same day.
    pool = [(d, i) for d, rows in enumerate(days) for i, r in enumerate(rows)
            if d >= DIRTY_FROM and r["order_ts"][11:13] < "23"]
    picks = rng.sample(pool, sum(count for count, _ in dirt.values()))
    inserts = {d: [] for d in range(len(days))}
    for kind, (count, _) in dirt.items():
        for d, i in (picks.pop() for _ in range(count)):
            row = days[d][i]
            ledger.append(Dirt(kind, _day(d).isoformat(), _day(d).isoformat(), row["order_id"]))
            if kind == "exact_duplicate":
                inserts[d].append(dict(row))
            elif kind == "order_id_replay":
                ts = dt.datetime.strptime(row["order_ts"], SALES_TS)
                later = ts + dt.timedelta(seconds=rng.randrange(120, 900))
                inserts[d].append(dict(row, order_ts=later.strftime(SALES_TS)))
            elif kind == "missing_quantity":
                row["quantity"] = ""
            elif kind == "nonpositive_quantity":
                row["quantity"] = rng.choice(["0", "-1", "-2"])
            elif kind == "missing_price":
                row["unit_price"] = ""
            elif rng.random() < 0.5:  # messy_text
                row["channel"] = rng.choice([" {} ", "{} ", " {}"]).format(
                    rng.choice([row["channel"].upper(), row["channel"].title()]))
            else:
                row["country"] = rng.choice([" {}", "{} ", "{}"]).format(row["country"].lower())
    # Stable sort keeps a duplicate right after its original, as a retried export would.
    return [sorted(rows + inserts[d], key=lambda r: r["order_ts"]) for d, rows in enumerate(days)]


def _csv(rows):
    """CSV text with a header, '\\n' line ends (the csv module's default is '\\r\\n')."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SALES_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def generate(rows=None):
    """The sales sample; `rows` raw rows in all instead of the shipped size."""
    rng = random.Random(SALES_SEED)
    dirt, day_counts, customers = DIRT, None, 600
    if rows:
        dirt = _scaled(DIRT, rows / ROWS)
        added = sum(count for count, effect in dirt.values() if effect == DUPLICATE)
        day_counts, customers = _day_counts(rows - added), max(600, rows // 6)
    sample = Sample("sales")
    days = _sales_dirt(rng, _sales_days(rng, day_counts, customers), dirt, sample.dirt)
    for d, day_rows in enumerate(days):
        sample.files["%s/sales.csv" % _folder(d)] = _csv(day_rows).encode("utf-8")
    return sample

#!/usr/bin/env python3
"""Generate the shipped sample data of every dataset, reproducibly (fixed seeds, stdlib only).

Writes ``datasets/<name>/sample/dt=YYYY-MM-DD/<file>`` for 2026-01-01 .. 2026-01-14: the raw
zone as it arrives, one folder per arrival day. Re-running it reproduces the committed files
byte for byte (a test checks this). ``--rows N --out DIR`` writes N raw rows per dataset under
``DIR/<name>/`` instead (the benchmark's large sets; never committed).

* ``sales``: retail order lines, CSV with a header (``sales.csv``).
* ``clickstream``: web events, JSON lines (``clickstream.jsonl``): sessions of page views and
  clicks with a product -> add_to_cart -> checkout -> purchase funnel.

Each dataset carries documented dirt (``DIRT``: kind -> (rows, effect)). The effect is what
the curation job must do with such a row: ``duplicate`` (removed by de-duplication),
``kept`` (valid after trimming / normalising), ``late`` (arrives in the next day's folder,
within the contract's allowedLatenessDays, curated into its own day), or the id of the rule
it breaks (rejected to the quarantine). Each dirty row has one kind; ``Sample.dirt`` lists
them (kind, arrival folder, event day, key), so tests derive every expected count from here.

All dirt is in the second week: raw folders 2026-01-01 .. 07 are clean, and no late event
belongs to them, because the named queries compare raw and curated over those days.
"""
import argparse
import csv
import itertools
import datetime as dt
import io
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 14
DIRTY_FROM = 7  # index of 2026-01-08: the first week stays clean (see above)
DUPLICATE, KEPT, LATE = "duplicate", "kept", "late"
# Arrivals by hour of day (UTC): quiet nights, lunch and evening peaks.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7, 7, 8, 9, 11, 12, 11, 8, 5, 3]
CATEGORIES = [("electronics", 19, 899), ("home", 6, 249), ("apparel", 9, 149),
              ("beauty", 4, 69), ("grocery", 2, 29), ("sports", 8, 299)]


@dataclass(frozen=True)
class Dirt:
    kind: str
    folder: str          # raw folder (arrival day) the dirty row is in
    event_day: str       # day the event belongs to (its partition when curated)
    key: str             # the row's key value (order_id / event_id)


@dataclass
class Sample:
    name: str
    files: dict = field(default_factory=dict)   # relative path -> bytes
    dirt: list = field(default_factory=list)    # [Dirt]

    def write(self, out_dir):
        for relative, data in self.files.items():
            path = Path(out_dir) / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _day(index):
    return FIRST_DAY + dt.timedelta(days=index)


def _folder(index):
    return "dt=%s" % _day(index).isoformat()


def _scaled(dirt, factor):
    return {kind: (max(1, round(count * factor)), effect) for kind, (count, effect) in dirt.items()}


def _day_counts(total, weekend=1.25):
    """`total` rows spread over the days, weekends busier, summing exactly to `total`."""
    weights = [weekend if _day(d).weekday() >= 5 else 1.0 for d in range(DAYS)]
    counts = [int(total * w / sum(weights)) for w in weights]
    for d in range(total - sum(counts)):
        counts[d] += 1
    return counts


# --- sales ----------------------------------------------------------------------------

SALES_SEED = 20260101
SALES_ROWS = 3684  # rows of the shipped sample, the base of --rows scaling
SALES_COLUMNS = ["order_id", "order_ts", "customer_id", "product_id", "category",
                 "quantity", "unit_price", "currency", "country", "channel"]
SALES_DIRT = {
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


def _catalog(rng):
    products = []
    sku = 1001
    for category, low, high in CATEGORIES:
        for _ in range(8):
            products.append((f"SKU-{sku}", category, round(rng.uniform(low, high), 2)))
            sku += 1
    return products


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


def sales(rows=None):
    """The sales sample; `rows` raw rows in all instead of the shipped size."""
    rng = random.Random(SALES_SEED)
    dirt, day_counts, customers = SALES_DIRT, None, 600
    if rows:
        dirt = _scaled(SALES_DIRT, rows / SCALE_BASE["sales"])
        added = sum(count for count, effect in dirt.values() if effect == DUPLICATE)
        day_counts, customers = _day_counts(rows - added), max(600, rows // 6)
    sample = Sample("sales")
    days = _sales_dirt(rng, _sales_days(rng, day_counts, customers), dirt, sample.dirt)
    for d, day_rows in enumerate(days):
        sample.files["%s/sales.csv" % _folder(d)] = _csv(day_rows).encode("utf-8")
    return sample


# --- clickstream ----------------------------------------------------------------------

CLICK_SEED = 20260102
CLICK_ROWS_PER_DAY = 380
LATENESS_DAYS = 1  # datasets/clickstream/contract.odcs.yaml: allowedLatenessDays
CLICK_FIELDS = ["event_id", "event_ts", "event_type", "user_id", "session_id", "page",
                "referrer", "device", "country"]
CLICK_DIRT = {
    "exact_duplicate": (8, DUPLICATE),           # the tag manager retried a send
    "event_id_replay": (5, DUPLICATE),           # re-sent with a fresh timestamp 1-30 s later
    "late_replay": (3, DUPLICATE),               # a retried copy arrives in the next day's folder
    "late_event": (12, LATE),                    # buffered offline, arrives the next day
    "too_late_event": (4, "event_ts:late"),      # arrives two days later, beyond the lateness
    "clock_ahead": (2, "event_ts:early"),        # device clock a day fast: after its folder's day
    "malformed_timestamp": (6, "event_ts:type"),
    "unknown_event_type": (4, "event_type:enum"),
    "unknown_device": (3, "device:enum"),
    "page_is_url": (3, "page:pattern"),          # a full URL where a path belongs
    "missing_session_id": (2, "session_id:required"),
    "truncated_line": (2, "_record:malformed"),  # a partial write cut the JSON line
    "messy_text": (30, KEPT),                    # stray spaces / wrong case in enums or country
}
# Kinds that move or copy an event into a later folder: how many days later.
ARRIVES_LATER = {"late_replay": 1, "late_event": 1, "too_late_event": LATENESS_DAYS + 1}
DEVICES = {"desktop": 42, "mobile": 48, "tablet": 10}
VISITOR_COUNTRIES = {"DE": 26, "FR": 15, "NL": 8, "ES": 8, "IT": 7, "IE": 3, "GB": 14, "US": 16, None: 3}
# Host of the referrer of a session's landing page; None is a direct visit.
REFERRERS = {"www.google.com": 38, None: 30, "www.bing.com": 6, "duckduckgo.com": 3,
             "www.facebook.com": 7, "www.instagram.com": 6, "t.co": 2, "newsletter.example-shop.com": 8}
MALFORMED_TS = ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S.{ms}", "{epoch}", "%d/%m/%Y %H:%M:%S"]


def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ts(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class _Session:
    """One visit: a landing page, navigation, and sometimes the purchase funnel."""

    def __init__(self, rng, visitor, start, products):
        self.rng, self.products = rng, products
        self.user_id, self.device, self.country = visitor
        self.session_id = "s-%016x" % rng.getrandbits(64)
        self.now, self.events = start, []

    def emit(self, event_type, page, referrer=None):
        self.events.append({
            "event_id": _uuid(self.rng), "moment": self.now, "user_id": self.user_id,
            "session_id": self.session_id, "event_type": event_type, "page": page,
            "referrer": referrer, "device": self.device, "country": self.country})
        self.now += dt.timedelta(milliseconds=self.rng.randrange(3000, 95000))

    def product(self):
        sku, category = self.rng.choice(self.products)
        return "/product/%s" % sku.lower(), category

    def run(self):
        rng = self.rng
        referrer = rng.choices(list(REFERRERS), list(REFERRERS.values()))[0]
        landing = rng.choices(["/", "/category", "/product", "/search", "/help/shipping"], [35, 20, 30, 10, 5])[0]
        page = {"/category": "/category/%s" % rng.choice(CATEGORIES)[0],
                "/product": self.product()[0]}.get(landing, landing)
        self.emit("page_view", page, referrer)
        for _ in range(rng.randrange(1, 12)):
            if rng.random() < 0.4:
                self.emit("click", page)
            if page.startswith("/product/") and rng.random() < 0.08:
                self.emit("add_to_cart", page)
                self.emit("page_view", "/cart")
                if rng.random() < 0.45:
                    self.emit("checkout", "/checkout")
                    if rng.random() < 0.7:
                        self.emit("purchase", "/checkout/confirmation")
                    return self.events
                page = "/cart"
            elif rng.random() < 0.2:
                return self.events
            else:
                page = rng.choices(
                    [self.product()[0], "/category/%s" % rng.choice(CATEGORIES)[0], "/", "/search", "/account"],
                    [55, 25, 8, 8, 4])[0]
                self.emit("page_view", page)
        return self.events


def _visitors(rng, n):
    devices, countries = list(DEVICES), list(VISITOR_COUNTRIES)
    return [("u-%010x" % rng.getrandbits(40), rng.choices(devices, list(DEVICES.values()))[0],
             rng.choices(countries, list(VISITOR_COUNTRIES.values()))[0]) for _ in range(n)]


def _click_days(rng, day_counts, visitors):
    """Clean events per day, exactly day_counts[d] of them, each inside its own day."""
    products = [(p[0], p[1]) for p in _catalog(random.Random(SALES_SEED))]
    visitor_cw = list(itertools.accumulate(rng.paretovariate(2.0) for _ in visitors))
    days = []
    for d, target in enumerate(day_counts):
        midnight = dt.datetime.combine(_day(d), dt.time())
        events = []
        while len(events) < target:
            start = midnight + dt.timedelta(hours=rng.choices(range(24), HOUR_WEIGHTS)[0],
                                            milliseconds=rng.randrange(3600 * 1000))
            session = _Session(rng, rng.choices(visitors, cum_weights=visitor_cw)[0], start, products).run()
            events += [e for e in session if e["moment"].date() == midnight.date()][:target - len(events)]
        days.append(sorted(events, key=lambda e: e["moment"]))
    return days


def _click_line(event):
    record = {name: event.get(name) for name in CLICK_FIELDS}
    if record.get("event_ts") is None:
        record["event_ts"] = _ts(event["moment"])
    return json.dumps(record, separators=(",", ":"))


def _dirty(rng, kind, event):
    """The event as the dirt `kind` changes it (in place kinds only)."""
    moment = event["moment"]
    if kind == "clock_ahead":
        return dict(event, moment=moment + dt.timedelta(days=1))
    if kind == "event_id_replay":
        return dict(event, moment=moment + dt.timedelta(milliseconds=rng.randrange(1000, 30000)))
    if kind == "malformed_timestamp":
        shape = rng.choice(MALFORMED_TS)
        epoch = int(moment.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
        text = moment.strftime(shape).format(ms="%03d" % (moment.microsecond // 1000), epoch=epoch)
        return dict(event, event_ts=text)
    if kind == "unknown_event_type":
        return dict(event, event_type=rng.choice(["scroll", "pageview", "video_start"]))
    if kind == "unknown_device":
        return dict(event, device=rng.choice(["smart_tv", "bot", "console"]))
    if kind == "page_is_url":
        return dict(event, page="https://shop.example.com" + event["page"])
    if kind == "missing_session_id":
        return dict(event, session_id="")
    if kind == "messy_text":
        name = rng.choice(["event_type", "device", "country"]) if event["country"] else "device"
        value = event[name].lower() if name == "country" else rng.choice([event[name].upper(), event[name].title()])
        return dict(event, **{name: rng.choice(["{}", " {}", "{} ", " {} "]).format(value)})
    return event


def _click_dirt(rng, days, dirt, ledger):
    """Lines per folder: each day's events, dirt applied, late arrivals moved or copied."""
    places = [[e["moment"] for e in events] for events in days]  # a dirty line keeps its place
    taken, picks = set(), {}
    for kind, (count, _) in dirt.items():
        chosen, last = [], len(days) - 1 - ARRIVES_LATER.get(kind, 0)
        while len(chosen) < count:
            d = rng.randrange(DIRTY_FROM, last + 1)
            i = rng.randrange(len(days[d]))
            # Distinct events; a replay 1-30 s later must stay on its day.
            if (d, i) in taken or (kind == "event_id_replay" and places[d][i].time() > dt.time(23, 59)):
                continue
            taken.add((d, i))
            chosen.append((d, i))
        picks[kind] = chosen
    folders = [[] for _ in days]  # (place, sequence, line): originals first, then copies
    moved = set()
    for kind, chosen in picks.items():
        for d, i in chosen:
            event = days[d][i]
            arrival = d + ARRIVES_LATER.get(kind, 0)
            ledger.append(Dirt(kind, _day(arrival).isoformat(), _day(d).isoformat(), event["event_id"]))
            if kind in ARRIVES_LATER:
                if kind != "late_replay":
                    moved.add((d, i))
                received = dt.datetime.combine(_day(arrival), dt.time()) + dt.timedelta(seconds=rng.randrange(86400))
                folders[arrival].append((received, len(folders[arrival]), _click_line(event)))
            elif kind in ("exact_duplicate", "event_id_replay"):
                copy = _dirty(rng, kind, event)
                folders[d].append((copy["moment"], len(folders[d]), _click_line(copy)))
            elif kind == "truncated_line":
                days[d][i] = dict(event, line=_click_line(event)[:rng.randrange(60, 140)])
            else:
                days[d][i] = _dirty(rng, kind, event)
    for d, events in enumerate(days):
        for i, event in enumerate(events):
            if (d, i) not in moved:
                folders[d].append((places[d][i], -1, event.get("line") or _click_line(event)))
    return [[line for _, _, line in sorted(rows)] for rows in folders]


def clickstream(rows=None):
    """The clickstream sample; `rows` raw lines in all instead of the shipped size."""
    rng = random.Random(CLICK_SEED)
    dirt = CLICK_DIRT
    if rows:
        dirt = _scaled(CLICK_DIRT, rows / SCALE_BASE["clickstream"])
        added = sum(count for kind, (count, effect) in dirt.items() if effect == DUPLICATE)
        day_counts = _day_counts(rows - added, weekend=1.2)
    else:
        day_counts = [int(CLICK_ROWS_PER_DAY * (1.2 if _day(d).weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15))
                      for d in range(DAYS)]
    visitors = _visitors(rng, max(1500, sum(day_counts) // 4))
    sample = Sample("clickstream")
    for d, lines in enumerate(_click_dirt(rng, _click_days(rng, day_counts, visitors), dirt, sample.dirt)):
        sample.files["%s/clickstream.jsonl" % _folder(d)] = "".join(line + "\n" for line in lines).encode("utf-8")
    return sample


GENERATORS = {"sales": (sales, SALES_DIRT), "clickstream": (clickstream, CLICK_DIRT)}
# Rows that --rows scales the documented dirt from.
SCALE_BASE = {"sales": SALES_ROWS, "clickstream": CLICK_ROWS_PER_DAY * DAYS}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(GENERATORS), action="append",
                        help="dataset to generate (repeatable; default: all)")
    parser.add_argument("--rows", type=int, help="raw rows per dataset (default: the shipped sample's size)")
    parser.add_argument("--out", help="write DIR/<dataset>/dt=... (default: datasets/<dataset>/sample/)")
    args = parser.parse_args(argv)
    if args.rows and not args.out:
        parser.error("--rows needs --out: large sets are never written into the repository")
    for name in args.dataset or sorted(GENERATORS):
        sample = GENERATORS[name][0](args.rows)
        out = Path(args.out) / name if args.out else REPOSITORY / "datasets" / name / "sample"
        sample.write(out)
        rows = sum(data.count(b"\n") for data in sample.files.values()) - (len(sample.files) if name == "sales" else 0)
        size = sum(len(data) for data in sample.files.values())
        kinds = {}
        for dirt in sample.dirt:
            kinds[dirt.kind] = kinds.get(dirt.kind, 0) + 1
        print("%s: %d rows, %d bytes, %d files under %s" % (name, rows, size, len(sample.files), out))
        print("  dirt: " + ", ".join("%s=%d" % item for item in kinds.items()))


if __name__ == "__main__":
    main()

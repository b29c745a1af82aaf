"""The clickstream sample: web events, JSON lines (`clickstream.jsonl`): sessions of page views
and clicks with a product -> add_to_cart -> checkout -> purchase funnel, one folder per arrival
day, with the documented dirt of `DIRT` (sample_data says what each effect means). Run it with
scripts/generate_sample_data.py."""
import datetime as dt
import itertools
import json
import random
import uuid

from sample_data import (  # noqa: F401
    CATALOG_SEED, CATEGORIES, DAYS, DIRTY_FROM, DUPLICATE, HOUR_WEIGHTS, KEPT, LATE, Dirt, Sample,
    catalog as _catalog, day as _day, day_counts as _day_counts, folder as _folder, scaled as _scaled,
)

CLICK_SEED = 20260102
CLICK_ROWS_PER_DAY = 380
LATENESS_DAYS = 1  # datasets/clickstream/contract.odcs.yaml: allowedLatenessDays
CLICK_FIELDS = ["event_id", "event_ts", "event_type", "user_id", "session_id", "page",
                "referrer", "device", "country"]
DIRT = {
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
    products = [(p[0], p[1]) for p in _catalog(random.Random(CATALOG_SEED))]
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


def generate(rows=None):
    """The clickstream sample; `rows` raw lines in all instead of the shipped size."""
    rng = random.Random(CLICK_SEED)
    dirt = DIRT
    if rows:
        dirt = _scaled(DIRT, rows / ROWS)
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


# Rows that --rows scales the documented dirt from.
ROWS = CLICK_ROWS_PER_DAY * DAYS

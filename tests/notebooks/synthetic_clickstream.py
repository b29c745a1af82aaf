"""TEMPORARY stand-in for the curated clickstream table, until its sample data and job land.

Branch issue-9-job adds `datasets/clickstream/sample/` and the generic job
`spark_jobs/curate/curate.py`. At merge, replace `write_curated_clickstream` in
tests/notebooks/conftest.py with running that job on the sample (like sales), and delete
this module. Until then these rows stand for its output: every column of
datasets/clickstream/contract.odcs.yaml (checked by the tests), seeded, a few sessions a day.
"""
import datetime
import random
import uuid

EVENT_TYPES = ("page_view", "page_view", "page_view", "click", "add_to_cart", "checkout", "purchase")
PAGES = ("/", "/search", "/products/p-100", "/products/p-200", "/products/p-300", "/cart", "/checkout")
REFERRERS = ("", "www.google.com", "www.bing.com", "newsletter.example.com")
DEVICES = ("desktop", "mobile", "tablet")
COUNTRIES = ("DE", "FR", "GB", "US", "NL")


def clickstream_rows(days: list[str], seed: int = 12) -> list[dict]:
    """A few sessions per day, each a short run of events a few seconds apart."""
    rng = random.Random(seed)
    rows = []
    for day in days:
        midnight = datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.timezone.utc)
        for _ in range(rng.randint(6, 14)):
            user, session = f"u-{rng.randint(1, 40):04d}", str(uuid.UUID(int=rng.getrandbits(128)))
            at = midnight + datetime.timedelta(seconds=rng.randint(0, 86_000))
            for step in range(rng.randint(1, 6)):
                rows.append(
                    {
                        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "event_ts": at + datetime.timedelta(seconds=7 * step),
                        "event_type": rng.choice(EVENT_TYPES),
                        "user_id": user,
                        "session_id": session,
                        "page": rng.choice(PAGES),
                        "referrer": rng.choice(REFERRERS) if step == 0 else "",
                        "device": rng.choice(DEVICES),
                        "country": rng.choice(COUNTRIES),
                        "dt": day,
                    }
                )
    return rows

"""What every dataset's sample generator shares (`datasets/<name>/sample_generator.py`): the
ledger of dirty rows, the two weeks a sample spans, and the shop both shipped datasets describe.

A dataset's generator lives next to its contract, so a fork's dataset brings its own; it defines
`DIRT` (kind -> (rows, effect)), `ROWS` (the raw rows of its shipped sample, the base that
`--rows` scales the dirt from) and `generate(rows=None) -> Sample`. `scripts/generate_sample_data.py`
runs them all. The effect of a dirty row is what the curation job must do with it: `duplicate`
(removed by de-duplication), `kept` (valid after trimming / normalising), `late` (arrives in a
later folder, within the contract's allowedLatenessDays, curated into its own day), or the id of
the rule it breaks (rejected to the quarantine). Each dirty row has one kind; `Sample.dirt` lists
them (kind, arrival folder, event day, key), so tests derive every expected count from there.

All dirt is in the second week: raw folders 2026-01-01 .. 07 are clean, and no late event
belongs to them, because the named queries compare raw and curated over those days. Fixed
seeds, stdlib only: re-running a generator reproduces its committed files byte for byte.
"""
import datetime as dt
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_FILE = "sample_generator.py"
FIRST_DAY = dt.date(2026, 1, 1)
DAYS = 14
DIRTY_FROM = 7  # index of 2026-01-08: the first week stays clean (see above)
DUPLICATE, KEPT, LATE = "duplicate", "kept", "late"
# Arrivals by hour of day (UTC): quiet nights, lunch and evening peaks.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7, 7, 8, 9, 11, 12, 11, 8, 5, 3]
CATEGORIES = [("electronics", 19, 899), ("home", 6, 249), ("apparel", 9, 149),
              ("beauty", 4, 69), ("grocery", 2, 29), ("sports", 8, 299)]
# The seed the sales sample draws its product catalog with; clickstream browses the same products.
CATALOG_SEED = 20260101


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


def day(index):
    return FIRST_DAY + dt.timedelta(days=index)


def folder(index):
    return "dt=%s" % day(index).isoformat()


def scaled(dirt, factor):
    return {kind: (max(1, round(count * factor)), effect) for kind, (count, effect) in dirt.items()}


def day_counts(total, weekend=1.25):
    """`total` rows spread over the days, weekends busier, summing exactly to `total`."""
    weights = [weekend if day(d).weekday() >= 5 else 1.0 for d in range(DAYS)]
    counts = [int(total * w / sum(weights)) for w in weights]
    for d in range(total - sum(counts)):
        counts[d] += 1
    return counts


def catalog(rng):
    products = []
    sku = 1001
    for category, low, high in CATEGORIES:
        for _ in range(8):
            products.append((f"SKU-{sku}", category, round(rng.uniform(low, high), 2)))
            sku += 1
    return products




def load_generator(directory):
    """The generator module of the dataset folder `directory`, or None if it has none."""
    path = Path(directory) / GENERATOR_FILE
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("sample_generator_%s" % Path(directory).name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

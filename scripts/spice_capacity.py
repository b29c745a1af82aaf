"""SPICE capacity the shipped datasets need, computed from their sample data.

QuickSight counts a SPICE dataset's logical size, not its file size: 8 bytes for every number,
date and date-time field, and 8 bytes plus the UTF-8 length for every text field, per row
(QuickSight User Guide, "Estimating the size of SPICE datasets"). This reads each dataset's
sample (datasets/<name>/sample/, or the older sample_data/<name>/) through its contract, counts
every raw row (dirty rows included, so it is an upper bound of what curation keeps), adds the
date partition (text, YYYY-MM-DD), and prints the SPICE table of docs/quicksight.md (the site build renders it there, scripts/docs_pages.py):

    python scripts/spice_capacity.py
"""
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lake_config import load_settings  # noqa: E402
from lake_config.datasets import Dataset  # noqa: E402

FIXED_FIELD_BYTES = 8
PARTITION_TEXT = len("YYYY-MM-DD")
GIB = 1024**3


@dataclass(frozen=True)
class Estimate:
    dataset: str
    rows: int
    logical_bytes: int

    @property
    def bytes_per_row(self) -> float:
        return self.logical_bytes / self.rows

    def per_rows(self, rows: int) -> float:
        """GiB of SPICE for `rows` rows of the sample's average size."""
        return self.bytes_per_row * rows / GIB


def sample_files(dataset: Dataset) -> list[Path]:
    for directory in (dataset.sample_dir, ROOT / "sample_data" / dataset.name):
        files = sorted(p for p in directory.rglob("*") if p.suffix in {".csv", ".json", ".jsonl"}) if directory.is_dir() else []
        if files:
            return files
    return []


def raw_rows(dataset: Dataset, files: list[Path]):
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            if dataset.raw_format == "csv":
                yield from csv.DictReader(handle, delimiter=dataset.csv_delimiter)
            else:
                yield from filter(None, (_json_record(line) for line in handle if line.strip()))


def _json_record(line: str) -> dict | None:
    """A JSON line as a dict; None for a line the curation job would quarantine as malformed."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def estimate(dataset: Dataset) -> Estimate | None:
    files = sample_files(dataset)
    if not files:
        return None
    rows = total = 0
    for row in raw_rows(dataset, files):
        rows += 1
        total += FIXED_FIELD_BYTES + PARTITION_TEXT
        for column in dataset.columns:
            total += FIXED_FIELD_BYTES
            if column.type == "string":
                value = row.get(column.raw_name) if column.raw_name else None
                total += len(str(value if value is not None else "").strip().encode("utf-8"))
    return Estimate(dataset.name, rows, total)


def readme_table(datasets: tuple[Dataset, ...]) -> str:
    lines = ["| dataset | sample rows | logical bytes per row | SPICE for the sample | per million rows |", "|---|---|---|---|---|"]
    for dataset in datasets:
        found = estimate(dataset)
        if found is None:
            lines.append(f"| `{dataset.name}` | no sample shipped yet | | | |")
        else:
            lines.append(f"| `{dataset.name}` | {found.rows:,} | {found.bytes_per_row:.0f} | {found.logical_bytes / 1024**2:.2f} MiB | "
                         f"{found.per_rows(1_000_000):.2f} GiB |")
    return "\n".join(lines) + "\n"


def main() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    print(readme_table(load_settings({**context, "stage": "prod"}).datasets), end="")


if __name__ == "__main__":
    main()

"""A dataset's sample against its contract, before any job reads it.

The curation job reads CSV with its header against the contract's raw columns; a header that
does not match fails only on the cluster, as a Java stack trace ("Number of column in CSV header
is not equal to number of fields in the schema"). Synth reads the header line of every sample
file instead and names the file and the columns.
"""
from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=64)
def csv_header_problem(sample_dir: str, delimiter: str, raw_columns: tuple[str, ...]) -> tuple[Path, str] | None:
    """The first sample file whose header is not the raw columns in the contract's order, and why; or None."""
    # the partition folders upload-sample uploads (lakeops refuses anything else with its own line)
    for path in sorted(Path(sample_dir).glob("dt=*/*.csv")):
        with path.open(encoding="utf-8", newline="") as file:
            header = tuple(name.strip() for name in file.readline().rstrip("\r\n").split(delimiter))
        if header != raw_columns:
            missing = [c for c in raw_columns if c not in header]
            unexpected = [c for c in header if c not in raw_columns]
            differences = "; ".join(
                part for part in (f"missing {', '.join(missing)}" if missing else "",
                                  f"not in the contract {', '.join(unexpected)}" if unexpected else "",
                                  "" if missing or unexpected else "the same columns in another order") if part
            )
            return path, (
                f"the CSV header has {len(header)} columns ({', '.join(header)}), the contract's raw columns are "
                f"{len(raw_columns)} ({', '.join(raw_columns)}) in this order, separated by {delimiter!r}: {differences}"
            )
    return None

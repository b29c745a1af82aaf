#!/usr/bin/env python3
"""Generate the sample data of every dataset that has a generator, reproducibly.

Each dataset's generator lives next to its contract (`datasets/<name>/sample_generator.py`,
what it must define: the `sample_data` package), so a fork's dataset brings its own; a dataset
without one ships hand-made files under `sample/`. This runs them: it writes
``datasets/<name>/sample/dt=YYYY-MM-DD/<file>`` for 2026-01-01 .. 2026-01-14, the raw zone as it
arrives, one folder per arrival day; re-running it reproduces the committed files byte for byte
(a test checks this). ``--rows N --out DIR`` writes N raw rows per dataset under ``DIR/<name>/``
instead (the benchmark's large sets; never committed).
"""
import argparse
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from sample_data import DUPLICATE, KEPT, LATE, load_generator  # noqa: E402,F401  (the tests read the effects here)

DATASETS_DIR = REPOSITORY / "datasets"
# name -> the generator module of datasets/<name>/ (sample_data says what it defines).
MODULES = {folder.name: module for folder in sorted(DATASETS_DIR.iterdir())
            if folder.is_dir() and (module := load_generator(folder)) is not None}
# name -> (generate(rows=None) -> Sample, DIRT): what the tests and scripts/bench_spark_job.py use.
GENERATORS = {name: (module.generate, module.DIRT) for name, module in MODULES.items()}
# Rows that --rows scales the documented dirt from.
SCALE_BASE = {name: module.ROWS for name, module in MODULES.items()}


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
        out = Path(args.out) / name if args.out else DATASETS_DIR / name / "sample"
        sample.write(out)
        lines = sum(data.count(b"\n") for data in sample.files.values())
        # a CSV file's first line is its header
        rows = lines - sum(1 for path in sample.files if path.endswith(".csv"))
        size = sum(len(data) for data in sample.files.values())
        kinds = {}
        for dirt in sample.dirt:
            kinds[dirt.kind] = kinds.get(dirt.kind, 0) + 1
        print("%s: %d rows, %d bytes, %d files under %s" % (name, rows, size, len(sample.files), out))
        print("  dirt: " + ", ".join("%s=%d" % item for item in kinds.items()))


if __name__ == "__main__":
    main()

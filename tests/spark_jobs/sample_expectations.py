"""What the curation job must report for a generated sample, worked out from the generator's
ledger of dirty rows and from the raw files themselves (read here with the csv and json
modules), never from the job's own code."""
import csv
import io
import json
from collections import Counter


def raw_records(dataset, data):
    """Each raw row of one file as {raw column: text or None}; None for a line that is not a record."""
    names = [c.raw_name for c in dataset.raw_columns]
    text = data.decode("utf-8")
    if dataset.raw_format == "csv":
        rows = csv.DictReader(io.StringIO(text), delimiter=dataset.csv_delimiter)
        assert rows.fieldnames == names, "the CSV header lists the raw columns in the contract's order"
        return [{n: (row[n] if row[n] != "" else None) for n in names} for row in rows]
    records = []
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            records.append(None)
            continue
        records.append({n: None if document.get(n) is None else str(document[n]) for n in names})
    return records


def folder_of(path):
    return next(part[3:] for part in path.split("/") if part.startswith("dt="))


def rows_per_folder(dataset, sample):
    counts = Counter()
    for path, data in sample.files.items():
        counts[folder_of(path)] += len(raw_records(dataset, data))
    return dict(counts)


def expected_report(dataset, sample, dirt_kinds, generator):
    """The counts of a run over the whole sample: every number derived from the files and the
    ledger (`dirt_kinds`: kind -> (rows, effect), the generator's DIRT)."""
    effects = [dirt_kinds[d.kind][1] for d in sample.dirt]
    per_folder = rows_per_folder(dataset, sample)
    per_partition = Counter(per_folder)
    for dirt in sample.dirt:
        per_partition[dirt.folder] -= 1
        if dirt_kinds[dirt.kind][1] in (generator.KEPT, generator.LATE):
            per_partition[dirt.event_day] += 1
    rejected = Counter(e for e in effects if e not in (generator.KEPT, generator.LATE, generator.DUPLICATE))
    return {
        "rows_read": sum(per_folder.values()),
        "rows_read_per_folder": per_folder,
        "rows_rejected": sum(rejected.values()),
        "rejected_rules": dict(rejected),
        "duplicates_removed": effects.count(generator.DUPLICATE),
        "late_rows": effects.count(generator.LATE),
        "rows_per_partition": {day: n for day, n in sorted(per_partition.items()) if n},
    }


def rejected_dirt(sample, dirt_kinds, generator):
    """{(arrival folder, key): rule id} of every row the job must quarantine."""
    return {(d.folder, d.key): dirt_kinds[d.kind][1] for d in sample.dirt
            if dirt_kinds[d.kind][1] not in (generator.KEPT, generator.LATE, generator.DUPLICATE)}

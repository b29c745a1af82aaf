"""What a curation run produced, reduced to a few numbers that change if any output row does.

The curated and quarantine rows of a run, each rendered as JSON by Spark in UTC (a row's text
never depends on the host's time zone), summed as multisets: row count plus the sums of two
unrelated 32/64-bit hashes of each row's text. Two runs whose rows differ in any value, in
the count of any row, or in a column's name or type give different fingerprints; file
layout and row order do not count. The quarantine's `source_file` is reduced to its
`dt=.../<file>` tail and its `run_id` (an argument) is left out, so runs from different
folders and with different run ids compare. The report is kept whole except what echoes the
run's arguments or clock.

The test on the shipped samples (test_curate_same_results.py) and the benchmark's 1M-row
comparison (scripts/bench_spark_job.py) use it to show that a faster job curates the same rows.
"""
import json
from pathlib import Path

# Report fields that echo the run's arguments (folders, run id, catalog) or its clock, not its rows.
RUN_FIELDS = ("started_at", "finished_at", "source", "target", "quarantine", "run_id", "database",
              "catalog_partitions_added")
# The shipped samples' fingerprints as the job before issue 24 curated them (commit 883e7bc).
REFERENCE = Path(__file__).resolve().parent / "reference_outputs.json"


def rows_fingerprint(spark, path, relative_file=None, drop=()):
    """{count, xxhash64 sum, crc32 sum, schema} of the Parquet rows under `path` (dt as string)."""
    from pyspark.sql import functions as F

    saved = {k: spark.conf.get(k, None) for k in ("spark.sql.session.timeZone",
                                                 "spark.sql.sources.partitionColumnTypeInference.enabled")}
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    try:
        frame = spark.read.parquet(str(path)).drop(*drop)
        if relative_file:
            frame = frame.withColumn(relative_file, F.regexp_extract(relative_file, r"(dt=[^/]*/[^/]*)$", 1))
        text = F.to_json(F.struct(*[F.col("`%s`" % n) for n in frame.columns]))
        row = frame.select(text.alias("j")).agg(
            F.count("*").alias("rows"),
            F.sum(F.xxhash64("j").cast("decimal(20,0)")).alias("xxhash64"),
            F.sum(F.crc32("j")).alias("crc32")).collect()[0]
        return {"rows": row["rows"], "xxhash64": str(row["xxhash64"] or 0), "crc32": int(row["crc32"] or 0),
                "schema": frame.schema.simpleString()}
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def report_fingerprint(report):
    return {k: v for k, v in sorted(report.items()) if k not in RUN_FIELDS}


def run_fingerprint(spark, report, target, quarantine):
    """The whole run: curated rows, quarantine rows, report."""
    return {
        "curated": rows_fingerprint(spark, target),
        "quarantine": rows_fingerprint(spark, quarantine, relative_file="source_file", drop=["run_id"])
        if Path(quarantine).exists() else None,
        "report": report_fingerprint(report),
    }


def differences(before, after):
    """Human-readable list of what differs between two run fingerprints (empty: the same)."""
    found = []
    for part in ("curated", "quarantine"):
        if before[part] != after[part]:
            found.append("%s rows: %s != %s" % (part, json.dumps(before[part]), json.dumps(after[part])))
    for key in sorted(set(before["report"]) | set(after["report"])):
        if before["report"].get(key) != after["report"].get(key):
            found.append("report %s: %r != %r" % (key, before["report"].get(key), after["report"].get(key)))
    return found

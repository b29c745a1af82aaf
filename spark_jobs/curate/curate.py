"""Curate one dataset's raw files into Snappy Parquet, exactly as its contract declares.

One generic job for every dataset: the declaration arrives as `--spec` (the JSON that
lake_config.datasets.job_spec builds from datasets/<name>/contract.odcs.yaml), so a new
dataset needs no code here. Single file, PySpark + stdlib only, valid Python 3.9: it is
copied to S3 and run by spark-submit on EMR 7.13 (Spark 3.5.6). Pure DataFrame API, no
UDFs, so no Python worker ever runs.

    spark-submit curate.py --spec JSON --source s3://RAW/<prefix>/ --target s3://CURATED/<prefix>/ \
        --quarantine s3://CURATED/quarantine/<prefix>/ --report s3://CURATED/reports/<prefix><run>.json \
        --database DB --run-id RUN [--start-date D --end-date D] [--no-catalog]

Steps: read every raw column as text (explicit schema), trim and normalise, cast, check the
contract's rules, derive columns, assign the UTC event date partition, quarantine rejected
rows with the rules they broke, keep the earliest row per key and partition, write Snappy
Parquet with dynamic partition overwrite, add the written partitions to the catalog, and
report. spark_jobs/curate/README.md explains each rule; docs/DATASETS.md defines the
quarantine rows and the report.

Date ranges name curated partitions. The input of partition D is every raw folder
dt=D .. dt=D+lateness, so a run for D..E reads folders D .. E+lateness and overwrites only
partitions D..E: it never writes a partition whose input it did not read in full.
"""
import argparse
import datetime
import json
import logging
import re
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

LOG = logging.getLogger("curate")
REPORT_VERSION = 1
REPORT_PREFIX = "CURATION_REPORT "
# Raw layout: <source>dt=YYYY-MM-DD/<files>, the folder being the day the files arrived.
RAW_FOLDER = "dt"
# Rules of the job itself, next to the contract's `<column>:<kind>` rules. Contract column
# names start with a letter, so `_record` cannot clash with one.
MALFORMED = "_record:malformed"
LATE, EARLY = "late", "early"
# Internal columns start with "__": contract column names cannot.
ARRIVAL, FILE, CORRUPT, RULES, STATUS, RANK = "__arrival", "__file", "__corrupt", "__rules", "__status", "__rank"
REJECTED, OUTSIDE, KEPT = "rejected", "outside_range", "kept"
# Session settings the job's semantics depend on; set for the run and restored afterwards.
SESSION_CONF = {
    # Event times without an offset, and the YYYY-MM-DD partition, are UTC.
    "spark.sql.session.timeZone": "UTC",
    # Unparseable dates are null (a counted rejection), never a SparkUpgradeException.
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # A value too large for its type casts to null (a rejection), not a failed job.
    "spark.sql.ansi.enabled": "false",
    # dt=... folders of a Parquet source stay strings.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}
FORMATS = ("csv", "json", "parquet")
SIMPLE_TYPES = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")
DECIMAL = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")
RULE_KINDS = ("required", "type", "pattern", "min_length", "max_length", "minimum",
              "exclusive_minimum", "maximum", "exclusive_maximum", "enum")
# Text a value must match before it is cast, so lenient casts ('1.5' -> 1) cannot hide junk.
INTEGER_TEXT = r"^[+-]?[0-9]+$"
DOUBLE_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
BOOLEAN_TEXT = r"^(?i)(true|false)$"
# Leading/trailing whitespace including Unicode separators (no-break space): the characters of
# Java's regular expression classes \s and \p{Z} (Zs, Zl, Zp), stripped by trim(BOTH ... FROM),
# which compares characters instead of running a regular expression on every value.
EDGE_SPACE = ("\t\n\x0b\f\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
              + "\u2028\u2029\u202f\u205f\u3000")
# Curated files per partition (the dataset's size class on EMR, lake_config/spark_sizing.py); rows
# of one key always land in the same file.
FILES_PER_PARTITION_CONF = "spark.lake.curate.filesPerPartition"
BUCKET = "__bucket"
IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+-]{0,254}$")


class SpecError(ValueError):
    """A --spec this job cannot apply."""


# --- arguments and spec ----------------------------------------------------------------


def _date(value):
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD, got %r" % value)


def _identifier(value):
    """A Glue/Hive name; it is pasted into SQL."""
    if not IDENTIFIER.match(value):
        raise argparse.ArgumentTypeError("expected [A-Za-z0-9_]+, got %r" % value)
    return value


def _run_id(value):
    if not RUN_ID.match(value):
        raise argparse.ArgumentTypeError("expected %s, got %r" % (RUN_ID.pattern, value))
    return value


def _folder(value):
    return value.rstrip("/") + "/"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Curate one dataset's raw files into partitioned Parquet.")
    p.add_argument("--spec", required=True, help="the dataset's job spec (JSON, lake_config.datasets.job_spec)")
    p.add_argument("--source", required=True, type=_folder, help="raw folder holding dt=YYYY-MM-DD/ folders")
    p.add_argument("--target", required=True, type=_folder, help="curated folder, the table's LOCATION")
    p.add_argument("--quarantine", required=True, type=_folder, help="folder for rejected rows")
    p.add_argument("--report", required=True, help="where the JSON report of the run is written")
    p.add_argument("--database", type=_identifier, help="catalog database holding the curated table")
    p.add_argument("--run-id", required=True, type=_run_id, help="names the run in the report and quarantine")
    p.add_argument("--start-date", type=_date, help="first partition to rebuild, inclusive (default: all)")
    p.add_argument("--end-date", type=_date, help="last partition to rebuild, inclusive (default: all)")
    p.add_argument("--no-catalog", action="store_true", help="do not add partitions to the catalog (local runs)")
    args = p.parse_args(argv)
    if not args.no_catalog and not args.database:
        p.error("--database is required unless --no-catalog is given")
    if args.start_date and args.end_date and args.start_date > args.end_date:
        p.error("--start-date is after --end-date")
    try:
        args.spec = check_spec(json.loads(args.spec))
    except (ValueError, KeyError, TypeError, argparse.ArgumentTypeError) as error:
        p.error("--spec: %s" % error)
    return args


def check_spec(spec):
    """The spec, or SpecError naming what this job cannot do with it."""
    if spec.get("format") not in FORMATS:
        raise SpecError("format must be one of %s (got %r)" % (", ".join(FORMATS), spec.get("format")))
    _identifier(spec["table"])
    columns = {c["name"]: c for c in spec["columns"]}
    for column in spec["columns"]:
        if column["type"] not in SIMPLE_TYPES and not DECIMAL.match(column["type"]):
            raise SpecError("column %s: unsupported type %r" % (column["name"], column["type"]))
        if _raw_name(column) == RAW_FOLDER:
            raise SpecError("column %s: raw name %r is the raw folder key" % (column["name"], RAW_FOLDER))
    for rule in spec["rules"]:
        if rule["kind"] not in RULE_KINDS or rule["column"] not in columns:
            raise SpecError("rule %s: unknown kind or column" % rule["id"])
    event = columns.get(spec["event_time"])
    if not event or event["type"] not in ("date", "timestamp") or event.get("expression"):
        raise SpecError("event_time %r must name a raw date or timestamp column" % spec["event_time"])
    if not spec["key"] or any(k not in columns for k in spec["key"]):
        raise SpecError("key %r must name columns" % (spec["key"],))
    if spec["partition"] in columns or int(spec["allowed_lateness_days"]) < 0:
        raise SpecError("partition must not be a column and allowed_lateness_days must be >= 0")
    return spec


def job_rule_ids(spec):
    """Rule ids the job adds to the contract's: a malformed record, and an event too far
    from the day of the folder it arrived in (later than the lateness, or after it)."""
    return [MALFORMED, "%s:%s" % (spec["event_time"], LATE), "%s:%s" % (spec["event_time"], EARLY)]


def folder_range(spec, start_date, end_date):
    """The raw folders partitions start..end are built from: start .. end + lateness."""
    last = None
    if end_date:
        last = (datetime.date.fromisoformat(end_date)
                + datetime.timedelta(days=int(spec["allowed_lateness_days"]))).isoformat()
    return start_date, last


# --- reading --------------------------------------------------------------------------


def _raw_name(column):
    """The raw field or CSV header of a column; job_spec omits it where it is the column's name."""
    return column.get("raw_name") or column["name"]


def _raw(name):
    return "__raw__" + name


def _text(name):
    return "__text__" + name


def _native(name):
    return "__native__" + name


def read_raw(spark, spec, source, first_folder, last_folder):
    """Raw rows as text, and the raw columns a Parquet source already stores as dates or
    timestamps. One text column per raw column (`__raw__<name>`), plus the folder the row
    arrived in, its file and, for CSV and JSON, the text of a line that did not parse."""
    raw_columns = [c for c in spec["columns"] if not c.get("expression")]
    native, extra = {}, []
    if spec["format"] == "parquet":
        frame = spark.read.option("basePath", source).parquet(source)
        stored = {f.name: f.dataType.typeName() for f in frame.schema.fields}
        values = [F.col("`%s`" % _raw_name(c)).cast("string") if _raw_name(c) in stored
                  else F.lit(None).cast("string") for c in raw_columns]
        for c in raw_columns:
            if c["type"] in ("date", "timestamp") and stored.get(_raw_name(c)) in ("date", "timestamp"):
                native[c["name"]] = stored[_raw_name(c)]
                extra.append(F.col("`%s`" % _raw_name(c)).alias(_native(c["name"])))
        corrupt = F.lit(None).cast("string")
    else:
        schema = T.StructType([T.StructField(_raw_name(c), T.StringType()) for c in raw_columns]
                              + [T.StructField(CORRUPT, T.StringType()), T.StructField(RAW_FOLDER, T.StringType())])
        reader = (spark.read.schema(schema).option("basePath", source).option("mode", "PERMISSIVE")
                  .option("columnNameOfCorruptRecord", CORRUPT))
        if spec["format"] == "csv":
            # enforceSchema=false: the header must list the raw columns in the contract's
            # order, or the job fails instead of silently reading columns by position.
            frame = (reader.option("header", "true").option("enforceSchema", "false")
                     .option("sep", spec.get("csv_delimiter") or ",").option("escape", '"').csv(source))
        else:
            frame = reader.json(source)
        values = [F.col("`%s`" % _raw_name(c)) for c in raw_columns]
        corrupt = F.col(CORRUPT)
    if first_folder:
        frame = frame.filter(F.col(RAW_FOLDER) >= first_folder)
    if last_folder:
        frame = frame.filter(F.col(RAW_FOLDER) <= last_folder)
    frame = frame.select(
        F.col(RAW_FOLDER).alias(ARRIVAL), F.col("_metadata.file_path").alias(FILE), corrupt.alias(CORRUPT),
        *[v.alias(_raw(c["name"])) for v, c in zip(values, raw_columns)], *extra)
    return frame, native


# --- cleaning, typing, rules ----------------------------------------------------------


def clean_text(column, raw):
    """Trimmed (blank -> null) and normalised text of a raw column."""
    value = F.btrim(raw, F.lit(EDGE_SPACE))
    if column.get("normalize") == "lower":
        value = F.lower(value)
    elif column.get("normalize") == "upper":
        value = F.upper(value)
    return F.when(value != "", value)


def cast_text(column, text, native=False):
    """The typed value of cleaned text, null where the text is not a valid value.

    Every cast is guarded by a strict pattern first: decimals must fit precision and scale
    (no silent rounding), integers and doubles must be plain numbers. A Parquet column
    already stored as a date or timestamp is taken as it is; its format applies to text.
    """
    kind = column["type"]
    if kind == "string":
        return text
    if native:
        return F.col(_native(column["name"])).cast(kind)
    if kind in ("int", "bigint"):
        return F.when(text.rlike(INTEGER_TEXT), text.cast(kind))
    if kind == "double":
        return F.when(text.rlike(DOUBLE_TEXT), text.cast("double"))
    if kind == "boolean":
        return F.when(text.rlike(BOOLEAN_TEXT), F.lower(text).cast("boolean"))
    if kind == "date":
        return F.to_date(text, column.get("format") or "yyyy-MM-dd")
    if kind == "timestamp":
        return F.to_timestamp(text, column["format"]) if column.get("format") else text.cast("timestamp")
    precision, scale = (int(g) for g in DECIMAL.match(kind).groups())
    # At least one integer digit ("0.25" for decimal(2,2)); a value still too large casts to null.
    pattern = r"^[+-]?[0-9]{1,%d}" % max(1, precision - scale) + (r"(\.[0-9]{1,%d})?$" % scale if scale else "$")
    return F.when(text.rlike(pattern), text.cast(kind))


def _bound(value):
    return F.lit(Decimal(str(value)))


def rule_broken(rule, column):
    """Condition (true = broken) of one contract rule on the typed row."""
    kind, value = rule["kind"], rule.get("value")
    derived = bool(column.get("expression"))
    typed = F.col("`%s`" % column["name"])
    text = typed.cast("string") if derived else F.col(_text(column["name"]))
    if kind == "required":
        return (typed if derived else text).isNull()
    if kind == "type":
        return text.isNotNull() & typed.isNull()
    if kind == "pattern":
        return text.isNotNull() & ~text.rlike(value)
    if kind == "min_length":
        return F.length(text) < int(value)
    if kind == "max_length":
        return F.length(text) > int(value)
    if kind == "enum":
        return ~typed.isin(list(value))
    compare = {"minimum": typed < _bound(value), "exclusive_minimum": typed <= _bound(value),
               "maximum": typed > _bound(value), "exclusive_maximum": typed >= _bound(value)}
    return compare[kind]


def rules_column(spec):
    """Array of the ids of every rule a row breaks (empty: the row is valid).

    A derived column's rules count only where its sources are valid, so one bad quantity
    is one rejection reason, not also a missing amount. A record that did not parse breaks
    only `_record:malformed`. Event times later than the lateness after the day of their
    folder, or after that day, break the job's own late / early rules.
    """
    columns = {c["name"]: c for c in spec["columns"]}
    broken = {}
    for rule in spec["rules"]:
        condition = F.coalesce(rule_broken(rule, columns[rule["column"]]), F.lit(False))
        broken.setdefault(rule["column"], []).append((rule["id"], condition))
    ids = []
    for name, conditions in broken.items():
        sources = columns[name].get("sources") or []
        source_ok = F.lit(True)
        for source in sources:
            for _, condition in broken.get(source, []):
                source_ok = source_ok & ~condition
        ids += [F.when(condition & source_ok, F.lit(rule_id)) for rule_id, condition in conditions]
    lag = F.datediff(F.to_date(F.col(ARRIVAL)), F.to_date(F.col("`%s`" % spec["event_time"])))
    late_id, early_id = job_rule_ids(spec)[1:]
    ids += [F.when(lag > int(spec["allowed_lateness_days"]), F.lit(late_id)), F.when(lag < 0, F.lit(early_id))]
    return (F.when(F.col(CORRUPT).isNotNull(), F.array(F.lit(MALFORMED)))
            .otherwise(F.array_compact(F.array(*ids))))


def check(raw, spec, start_date, end_date, native=()):
    """Raw text -> typed rows with their broken rules, partition and status
    (rejected / outside_range / kept). Keeps the raw text for the quarantine."""
    columns = spec["columns"]
    raw_columns = [c for c in columns if not c.get("expression")]
    frame = raw.select("*", *[clean_text(c, F.col(_raw(c["name"]))).alias(_text(c["name"])) for c in raw_columns])
    frame = frame.select("*", *[cast_text(c, F.col(_text(c["name"])), c["name"] in native).alias(c["name"])
                                for c in raw_columns])
    for column in columns:
        if column.get("expression"):
            frame = frame.withColumn(column["name"], F.expr(column["expression"]).cast(column["type"]))
    frame = frame.withColumn(spec["partition"], F.date_format(F.col("`%s`" % spec["event_time"]), "yyyy-MM-dd"))
    frame = frame.withColumn(RULES, rules_column(spec))
    in_range = F.lit(True)
    if start_date:
        in_range = in_range & (F.col(spec["partition"]) >= start_date)
    if end_date:
        in_range = in_range & (F.col(spec["partition"]) <= end_date)
    status = F.when(F.size(RULES) > 0, REJECTED).when(in_range, KEPT).otherwise(OUTSIDE)
    # The cleaned text has served the rules; the raw text stays for the quarantine.
    return frame.withColumn(STATUS, status).drop(*[_text(c["name"]) for c in raw_columns])


def rank_rows(checked, spec, files_per_partition):
    """Rank rows per (status, partition, key): rank 1 of a kept row is the earliest event
    time; ties go to the smallest values of the other curated columns, then the first file,
    so the row kept never depends on file order. The key is unique within a partition.

    One shuffle serves the ranking and the writes: rows go to tasks by (partition, bucket),
    the bucket a hash of the key modulo the partition's file count, so a window over
    (partition, bucket, status, key) needs no second exchange and each curated file holds
    whole keys. Only kept rows' ranks count; the status in the window keeps a rejected or
    out-of-range row from outranking a kept one."""
    names = [c["name"] for c in spec["columns"]]
    order = [spec["event_time"]] + [n for n in names if n != spec["event_time"]]
    keys = [F.col("`%s`" % k) for k in spec["key"]]
    bucket = F.pmod(F.xxhash64(*keys), F.lit(files_per_partition)) if files_per_partition > 1 else F.lit(0)
    frame = checked.withColumn(BUCKET, bucket).repartition(spec["partition"], BUCKET)
    window = (Window.partitionBy(spec["partition"], BUCKET, STATUS, *keys)
              .orderBy(*[F.col("`%s`" % n) for n in order], FILE))
    return frame.withColumn(RANK, F.row_number().over(window))


# --- writing --------------------------------------------------------------------------


def curated_columns(spec):
    return [F.col("`%s`" % c["name"]) for c in spec["columns"]] + [F.col(spec["partition"])]


def write_partitions(frame, partition, path, sort=(), shuffle=True):
    """Snappy Parquet, one file per partition (per bucket of a curated partition), replacing
    only the partitions in `frame`. `shuffle=False`: the frame is already distributed by
    partition (rank_rows), so it is only sorted.

    partitionOverwriteMode=dynamic is set on the writer so it travels with this write; on
    EMR the EMRFS S3-optimized commit protocol (the default since 6.2.0) commits it without
    S3 renames, as the files go to the default partition layout. Encryption comes from the
    EMR security configuration and the bucket defaults.
    """
    if shuffle:
        frame = frame.repartition(partition)
    (frame.sortWithinPartitions(partition, *sort).write
     .mode("overwrite").option("partitionOverwriteMode", "dynamic").option("compression", "snappy")
     .partitionBy(partition).parquet(path))


def quarantine_rows(checked, spec, run_id):
    """Rejected rows: the raw text (struct `raw`, one field per raw column), the line that
    did not parse (`record`), the rules broken, where the row came from; by arrival folder."""
    raw_names = [c["name"] for c in spec["columns"] if not c.get("expression")]
    return checked.filter(F.col(STATUS) == REJECTED).select(
        F.struct(*[F.col(_raw(n)).alias(n) for n in raw_names]).alias("raw"),
        F.col(CORRUPT).alias("record"), F.col(RULES).alias("rules"), F.col(FILE).alias("source_file"),
        F.lit(run_id).alias("run_id"), F.col(ARRIVAL).alias(RAW_FOLDER))


def add_partitions(spark, database, table, target, partition, dates, batch=100):
    """ALTER TABLE ... ADD IF NOT EXISTS for the partitions written, with their locations.

    The table itself belongs to CloudFormation (created from the contract); a missing table
    is an error here, not something to create. Adding only the written partitions avoids an
    MSCK REPAIR listing of the whole location on every run.
    """
    name = "`%s`.`%s`" % (database, table)
    for i in range(0, len(dates), batch):
        parts = " ".join("PARTITION (`%s`='%s') LOCATION '%s%s=%s'" % (partition, d, target, partition, d)
                         for d in dates[i:i + batch])
        spark.sql("ALTER TABLE %s ADD IF NOT EXISTS %s" % (name, parts))


def write_text(spark, uri, text):
    """One small file at `uri` through Hadoop's FileSystem (EMRFS on EMR, local here)."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(spark._jsc.hadoopConfiguration()).create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


# --- the run --------------------------------------------------------------------------


@contextmanager
def session_conf(spark, settings):
    previous = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _narrow(checked):
    """The checked rows as the cache keeps them: the raw text only where the row is rejected
    (the quarantine's), so valid rows are not kept twice, as text and as typed values."""
    rejected = F.col(STATUS) == REJECTED
    return checked.select(*[F.when(rejected, F.col(c)).alias(c) if c.startswith(_raw("")) else F.col("`%s`" % c)
                            for c in checked.columns])


def curate(spark, args):
    """The whole job on an existing session; returns the report (also written and printed).

    The raw files are read and parsed once: the checked and ranked rows are cached, one
    aggregation over them gives every count of the report, and the quarantine and the
    curated partitions are written from the same cache."""
    spec, started = args.spec, time.time()
    first, last = folder_range(spec, args.start_date, args.end_date)
    files_per_partition = int(spark.conf.get(FILES_PER_PARTITION_CONF, "1"))
    raw, native = read_raw(spark, spec, args.source, first, last)
    checked = _narrow(check(raw, spec, args.start_date, args.end_date, native))
    ranked = rank_rows(checked, spec, files_per_partition).persist()
    try:
        per_folder, by_status, quarantined = {}, {REJECTED: 0, OUTSIDE: 0, KEPT: 0}, set()
        by_rule = dict.fromkeys([r["id"] for r in spec["rules"]] + job_rule_ids(spec), 0)
        written, duplicates, late_rows = {}, 0, 0
        kept, first_rank = F.col(STATUS) == KEPT, F.col(RANK) == 1
        late = kept & first_rank & (F.col(spec["partition"]) < F.col(ARRIVAL))
        # One aggregation: rows per folder, status, list of broken rules and curated partition.
        groups = ranked.groupBy(ARRIVAL, STATUS, RULES, F.when(kept, F.col(spec["partition"])).alias("p")).agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.when(kept & first_rank, 1).otherwise(0)).alias("written"),
            F.sum(F.when(late, 1).otherwise(0)).alias("late"))
        for row in groups.collect():
            per_folder[row[ARRIVAL]] = per_folder.get(row[ARRIVAL], 0) + row["rows"]
            by_status[row[STATUS]] += row["rows"]
            for rule_id in row[RULES]:
                by_rule[rule_id] += row["rows"]
            if row[STATUS] == REJECTED:
                quarantined.add(row[ARRIVAL])
            if row[STATUS] == KEPT:
                written[row["p"]] = written.get(row["p"], 0) + row["written"]
                duplicates += row["rows"] - row["written"]
                late_rows += row["late"]
        quarantined = sorted(quarantined)
        if quarantined:
            write_partitions(quarantine_rows(ranked, spec, args.run_id), RAW_FOLDER, args.quarantine)
        dates = sorted(written)
        if dates:
            curated = ranked.filter(kept & first_rank).select(*curated_columns(spec))
            # Already grouped and sorted by partition (rank_rows): the writer neither shuffles nor sorts.
            # A day is one row group at these sizes, so sorting by event time bought no pruning.
            write_partitions(curated, spec["partition"], args.target, shuffle=False)
    finally:
        ranked.unpersist()
    if dates and not args.no_catalog:
        add_partitions(spark, args.database, spec["table"], args.target, spec["partition"], dates)
    report = {
        "report_version": REPORT_VERSION,
        "dataset": spec["name"], "table": spec["table"], "run_id": args.run_id,
        "source": args.source, "target": args.target, "quarantine": args.quarantine,
        "database": None if args.no_catalog else args.database,
        "start_date": args.start_date, "end_date": args.end_date,
        "allowed_lateness_days": int(spec["allowed_lateness_days"]),
        "rows_read_per_folder": dict(sorted(per_folder.items())),
        "rows_read": sum(per_folder.values()),
        "rows_rejected": by_status[REJECTED],
        "rejected_by_rule": by_rule,
        "rows_outside_range": by_status[OUTSIDE],
        "duplicates_removed": duplicates,
        "late_rows": late_rows,
        "rows_written": sum(written.values()),
        "rows_per_partition": {d: written[d] for d in dates},
        "partitions_written": dates,
        "quarantine_partitions_written": quarantined,
        "catalog_partitions_added": [] if args.no_catalog else dates,
        "started_at": _utc(started), "finished_at": _utc(time.time()),
    }
    text = json.dumps(report, sort_keys=True, separators=(",", ":"))
    write_text(spark, args.report, text + "\n")
    print(REPORT_PREFIX + text, flush=True)
    return report


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat(timespec="seconds")


def run(spark, args):
    with session_conf(spark, SESSION_CONF):
        return curate(spark, args)


def build_spark(args):
    """Hive support only when registering: on EMR the Glue Data Catalog is the metastore."""
    builder = SparkSession.builder.appName("curate-%s" % args.spec["name"])
    if not args.no_catalog:
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def main(argv=None, spark=None):
    """Entry point. Pass `spark` to reuse a session (tests, benchmark); it is then not stopped."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    own = spark is None
    if own:
        spark = build_spark(args)
    try:
        return run(spark, args)
    finally:
        if own:
            spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])

"""Curate raw retail-sales CSV into Snappy Parquet partitioned by ``dt``.

Single-file entry point: it is copied to S3 and run by ``spark-submit`` on EMR 7.13
(Spark 3.5.6, Python 3.9 on the nodes), so it imports nothing but PySpark and the
stdlib, and stays valid Python 3.9.

    spark-submit curate_sales.py --source s3://RAW/sales/ --target s3://CURATED/sales/ \
        --database CURATED_DB [--table sales] [--start-date 2026-01-01 --end-date 2026-01-07]

Re-running for a date range replaces exactly the ``dt`` partitions of that range
(dynamic partition overwrite) and leaves the others alone. Layout and names follow
docs/CONTRACTS.md. Pure DataFrame API, no Python UDFs: no Python workers are needed.
"""
import argparse
import datetime
import json
import logging
import re
import sys

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

LOG = logging.getLogger("curate_sales")

# Raw columns in file order. Everything is read as text, then validated and cast here,
# so a malformed value becomes a counted rejection instead of a silent null.
RAW_COLUMNS = ["order_id", "order_ts", "customer_id", "product_id", "category",
               "quantity", "unit_price", "currency", "country", "channel"]
# dt is listed so partition discovery keeps it a string (it would infer a date).
RAW_SCHEMA = T.StructType([T.StructField(c, T.StringType()) for c in RAW_COLUMNS + ["dt"]])

CURATED_SCHEMA = T.StructType([
    T.StructField("order_id", T.StringType()),
    T.StructField("order_ts", T.TimestampType()),
    T.StructField("customer_id", T.StringType()),
    T.StructField("product_id", T.StringType()),
    T.StructField("category", T.StringType()),
    T.StructField("quantity", T.IntegerType()),
    T.StructField("unit_price", T.DecimalType(10, 2)),
    T.StructField("amount", T.DecimalType(12, 2)),
    T.StructField("currency", T.StringType()),
    T.StructField("country", T.StringType()),
    T.StructField("channel", T.StringType()),
    T.StructField("dt", T.StringType()),
])

LOWER = ("category", "channel")
UPPER = ("currency", "country")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _date(value):
    """argparse type: a YYYY-MM-DD string (kept as a string: dt is a string column)."""
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD, got %r" % value)


def _name(value):
    """argparse type: a plain Glue/Hive identifier, since it is pasted into SQL."""
    if not _NAME.match(value):
        raise argparse.ArgumentTypeError("expected [A-Za-z0-9_]+, got %r" % value)
    return value


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Curate raw sales CSV into partitioned Parquet.")
    p.add_argument("--source", required=True, help="raw folder holding dt=YYYY-MM-DD/*.csv")
    p.add_argument("--target", required=True, help="curated folder, also the table LOCATION")
    p.add_argument("--database", type=_name, help="catalog database (created by CloudFormation)")
    p.add_argument("--table", type=_name, default="sales")
    p.add_argument("--start-date", type=_date, help="first dt, inclusive (default: all)")
    p.add_argument("--end-date", type=_date, help="last dt, inclusive (default: all)")
    p.add_argument("--no-catalog", action="store_true",
                   help="skip table registration (local runs without a metastore)")
    args = p.parse_args(argv)
    if not args.no_catalog and not args.database:
        p.error("--database is required unless --no-catalog is given")
    if args.start_date and args.end_date and args.start_date > args.end_date:
        p.error("--start-date is after --end-date")
    args.source = args.source.rstrip("/") + "/"
    args.target = args.target.rstrip("/") + "/"
    return args


def read_raw(spark, source, start_date=None, end_date=None):
    """Raw rows of the dates in range, all columns as strings, dt from the folder name.

    ``basePath`` makes Spark take ``dt`` from the ``dt=`` folders; filtering on it prunes
    whole folders, so a one-day re-run reads one day of CSV. ``escape='"'`` reads quotes
    the RFC 4180 way (doubled), as most exporters and Python's csv module write them.
    """
    df = (spark.read.schema(RAW_SCHEMA)
          .option("header", "true").option("escape", '"').option("basePath", source)
          .option("mode", "PERMISSIVE").csv(source))
    if start_date:
        df = df.filter(F.col("dt") >= start_date)
    if end_date:
        df = df.filter(F.col("dt") <= end_date)
    return df


def normalize(raw):
    """Trim every text field (blank -> null), fix case, and add typed columns + reject_reason.

    Values are cast only from text matching a strict pattern: malformed input becomes a
    counted rejection, never a silently wrong number (and no cast error under ANSI mode).
    """
    df = raw
    for c in RAW_COLUMNS:
        v = F.trim(F.col(c))
        v = F.lower(v) if c in LOWER else F.upper(v) if c in UPPER else v
        df = df.withColumn(c, F.when(v != "", v))
    qty = F.when(F.col("quantity").rlike(r"^[0-9]{1,9}$"), F.col("quantity").cast("int"))
    price = F.when(F.col("unit_price").rlike(r"^[0-9]{1,8}(\.[0-9]{1,2})?$"),
                   F.col("unit_price").cast(T.DecimalType(10, 2)))
    ts = F.when(F.col("order_ts").rlike(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"),
                F.to_timestamp("order_ts", "yyyy-MM-dd'T'HH:mm:ssX"))
    df = df.withColumn("quantity", qty).withColumn("unit_price", price).withColumn("order_ts", ts)
    reason = (F.when(F.col("order_id").isNull(), "missing_order_id")
              .when(F.col("order_ts").isNull(), "invalid_order_ts")
              .when(F.col("quantity").isNull() | (F.col("quantity") <= 0), "invalid_quantity")
              .when(F.col("unit_price").isNull() | (F.col("unit_price") <= 0), "invalid_price")
              .when(F.col("amount").isNull(), "amount_overflow"))
    amount = (F.col("quantity") * F.col("unit_price")).cast(T.DecimalType(12, 2))
    return df.withColumn("amount", amount).withColumn("reject_reason", reason)


def keep_first_order(df):
    """One row per order_id: the earliest order_ts (a replayed order comes later).

    Ties on order_ts are broken on the other columns so the result does not depend on
    file order. Only duplicates inside the processed date range are seen.
    """
    rest = [c for c in df.columns if c not in ("order_id", "order_ts")]
    order = [F.col("order_ts")] + [F.col(c) for c in rest]
    w = Window.partitionBy("order_id").orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).filter("_rn = 1").drop("_rn")


def clean(raw):
    """Raw strings -> curated rows (CURATED_SCHEMA) plus counts of what was dropped and why.

    Returns (curated DataFrame, stats dict). The curated frame is cached because the
    counts and the write both use it.
    """
    checked = normalize(raw).cache()
    stats = {"rows_read": 0, "dropped": {}}
    for row in checked.groupBy("reject_reason").count().collect():
        stats["rows_read"] += row["count"]
        if row["reject_reason"]:
            stats["dropped"][row["reject_reason"]] = row["count"]
    valid = checked.filter(F.col("reject_reason").isNull()).drop("reject_reason")
    n_valid = stats["rows_read"] - sum(stats["dropped"].values())
    exact = valid.dropDuplicates()  # after normalisation, so ' Web' and 'web' rows match
    n_exact = exact.count()
    typed = [F.col(f.name).cast(f.dataType) for f in CURATED_SCHEMA]
    curated = keep_first_order(exact).select(typed).cache()
    per_dt = {r["dt"]: r["count"] for r in curated.groupBy("dt").count().collect()}
    stats["dropped"]["exact_duplicate"] = n_valid - n_exact
    stats["dropped"]["duplicate_order_id"] = n_exact - sum(per_dt.values())
    stats["rows_written"] = sum(per_dt.values())
    stats["rows_per_dt"] = dict(sorted(per_dt.items()))
    checked.unpersist()
    return curated, stats


def write_curated(df, target):
    """Snappy Parquet under target/dt=.../, replacing only the dt partitions present in df.

    ``partitionOverwriteMode=dynamic`` on the writer (not the session) keeps the behaviour
    with the write; on EMR this uses the EMRFS S3-optimized commit protocol. One file per
    partition: a day of sales is small, and fewer files means fewer S3 GETs for Athena.
    """
    (df.repartition("dt").write
     .mode("overwrite").option("partitionOverwriteMode", "dynamic")
     .option("compression", "snappy").partitionBy("dt").parquet(target))


def register_table(spark, database, table, location, dates):
    """Create the curated table if missing and add the written partitions.

    The database itself is owned by CloudFormation; a missing one is an error, not
    something to create here. ``ADD IF NOT EXISTS`` for the written dates only avoids
    an ``MSCK REPAIR`` listing of the whole location on every run.
    """
    cols = ", ".join("`%s` %s" % (f.name, f.dataType.simpleString()) for f in CURATED_SCHEMA)
    name = "`%s`.`%s`" % (database, table)
    spark.sql("CREATE TABLE IF NOT EXISTS %s (%s) USING PARQUET PARTITIONED BY (dt) LOCATION '%s'"
              % (name, cols, location))
    if dates:
        parts = " ".join("PARTITION (dt='%s')" % d for d in sorted(dates))
        spark.sql("ALTER TABLE %s ADD IF NOT EXISTS %s" % (name, parts))


def run(spark, args):
    """The whole job on an existing session; returns the summary that is also logged."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # order_ts strings are UTC ('Z')
    curated, stats = clean(read_raw(spark, args.source, args.start_date, args.end_date))
    dates = list(stats["rows_per_dt"])
    if dates:
        write_curated(curated, args.target)
    else:
        LOG.warning("no rows to write for %s..%s", args.start_date, args.end_date)
    curated.unpersist()
    if not args.no_catalog:
        register_table(spark, args.database, args.table, args.target, dates)
    stats["partitions_written"] = dates
    LOG.info("summary %s", json.dumps(stats, sort_keys=True))
    return stats


def build_spark(args):
    """Hive support only when registering: on EMR the Glue Data Catalog is the metastore."""
    builder = SparkSession.builder.appName("curate_sales")
    if not args.no_catalog:
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def main(argv=None, spark=None):
    """Entry point. Pass ``spark`` to reuse a session (tests, benchmark); it is then not stopped."""
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

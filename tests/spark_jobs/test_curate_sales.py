"""Tests of the PySpark curation job on the repo's sample data, with a local SparkSession.

Expected numbers are worked out here from the CSVs with the csv module, not with the
job's own functions, so a bug in the job cannot also hide in its oracle.
"""
import ast
import csv
import importlib.util
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

F = pytest.importorskip("pyspark.sql.functions")

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "spark_jobs" / "curate_sales" / "curate_sales.py"
SAMPLE = REPO / "datasets" / "sales" / "sample"
GENERATOR = REPO / "scripts" / "generate_sample_data.py"
DAYS = ["2026-01-%02d" % d for d in range(1, 15)]
RAW_HEADER = ["order_id", "order_ts", "customer_id", "product_id", "category",
              "quantity", "unit_price", "currency", "country", "channel"]
# The curated contract, written out by hand (not imported from the job).
EXPECTED_SCHEMA = [
    ("order_id", "string"), ("order_ts", "timestamp"), ("customer_id", "string"),
    ("product_id", "string"), ("category", "string"), ("quantity", "int"),
    ("unit_price", "decimal(10,2)"), ("amount", "decimal(12,2)"), ("currency", "string"),
    ("country", "string"), ("channel", "string"), ("dt", "string"),
]


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _norm(row):
    row = {k: v.strip() for k, v in row.items()}
    for k in ("category", "channel"):
        row[k] = row[k].lower()
    for k in ("currency", "country"):
        row[k] = row[k].upper()
    return row


def raw_facts():
    """Independent oracle: per-day expected rows and dropped-row counts by reason."""
    raw_rows, kept, dropped = Counter(), defaultdict(dict), Counter()
    seen = set()
    for day in DAYS:
        with open(SAMPLE / ("dt=%s" % day) / "sales.csv", newline="") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == RAW_HEADER
            for row in reader:
                raw_rows[day] += 1
                row = _norm(row)
                qty, price = row["quantity"], row["unit_price"]
                if not re.fullmatch(r"\d+", qty) or int(qty) <= 0:
                    dropped["invalid_quantity"] += 1
                elif not re.fullmatch(r"\d+(\.\d\d?)?", price) or float(price) <= 0:
                    dropped["invalid_price"] += 1
                elif (day,) + tuple(row.values()) in seen:
                    dropped["exact_duplicate"] += 1
                else:
                    seen.add((day,) + tuple(row.values()))
                    first = kept[day].get(row["order_id"])
                    if first is not None:
                        dropped["duplicate_order_id"] += 1
                    if first is None or row["order_ts"] < first["order_ts"]:
                        kept[day][row["order_id"]] = row
    return raw_rows, kept, dict(dropped)


RAW_ROWS, KEPT, DROPPED = raw_facts()
EXPECTED_PER_DAY = {day: len(rows) for day, rows in KEPT.items()}


@pytest.fixture(scope="module")
def job():
    return _load(JOB, "curate_sales")


def _run(job, spark, source, target, *extra):
    return job.main(["--source", str(source), "--target", str(target)] + list(extra), spark=spark)


def _curated(spark, path):
    """Read back the curated folder as Athena sees it: dt a string, not an inferred date."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    try:
        return spark.read.parquet(str(path))
    finally:
        spark.conf.unset("spark.sql.sources.partitionColumnTypeInference.enabled")


def _files(root):
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in Path(root).rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def full_run(job, spark, tmp_path_factory):
    """The job once over all sample days; most tests only read its output."""
    target = tmp_path_factory.mktemp("curated") / "sales"
    summary = _run(job, spark, SAMPLE, target, "--no-catalog")
    return summary, target


# --- sample data and source file ------------------------------------------------------

def test_job_file_is_python39():
    src = JOB.read_text()
    tree = ast.parse(src, feature_version=(3, 9))
    # "X | Y" annotations parse on 3.9 but fail when the def runs, so check them too.
    annotations = [n.annotation for n in ast.walk(tree) if isinstance(n, ast.arg) and n.annotation]
    annotations += [n.returns for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and n.returns]
    assert not [a for a in annotations for b in ast.walk(a)
                if isinstance(b, ast.BinOp) and isinstance(b.op, ast.BitOr)]


def test_sample_data_is_what_the_generator_makes(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dt=%s" % d for d in DAYS]
    for day in DAYS:
        rel = Path("dt=%s" % day) / "sales.csv"
        assert (tmp_path / rel).read_bytes() == (SAMPLE / rel).read_bytes(), rel


def test_sample_data_dirt_matches_generator_docs():
    gen = _load(GENERATOR, "generate_sample_data")
    documented = sum(gen.DIRT[k] for k in gen.DROPPED_KINDS)
    assert sum(RAW_ROWS.values()) - documented == sum(EXPECTED_PER_DAY.values())
    assert 3000 <= sum(RAW_ROWS.values()) <= 4000


def test_first_week_is_clean():
    """The smoke test compares raw and curated revenue over 01-01..01-07 (named queries
    revenue_by_day_*): that only holds if those raw days need no cleaning."""
    for day in DAYS[:7]:
        with open(SAMPLE / ("dt=%s" % day) / "sales.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == EXPECTED_PER_DAY[day]
        assert all(_norm(r) == r for r in rows), day
    assert sum(RAW_ROWS[d] - EXPECTED_PER_DAY[d] for d in DAYS[7:]) == sum(DROPPED.values())


def test_arguments_are_validated(job):
    base = ["--source", "s", "--target", "t"]
    for bad in (["--no-catalog", "--start-date", "2026-13-01"],
                ["--no-catalog", "--start-date", "2026-01-12", "--end-date", "2026-01-11"],
                [],  # no --database and no --no-catalog
                ["--database", "x; DROP TABLE y"]):
        with pytest.raises(SystemExit):
            job.parse_args(base + bad)
    args = job.parse_args(["--source", "s3://r/sales", "--target", "s3://c/sales",
                           "--database", "db"])
    assert (args.source, args.target, args.table) == ("s3://r/sales/", "s3://c/sales/", "sales")


# --- output of a full run ----------------------------------------------------------

def test_schema_is_exact(spark, full_run):
    _, target = full_run
    df = _curated(spark, target)
    assert [(f.name, f.dataType.simpleString()) for f in df.schema] == EXPECTED_SCHEMA
    one_file = next(Path(target).glob("dt=*/*.parquet"))
    in_file = spark.read.parquet(str(one_file)).schema
    assert [(f.name, f.dataType.simpleString()) for f in in_file] == EXPECTED_SCHEMA[:-1]


def test_row_counts_and_summary(spark, full_run):
    summary, target = full_run
    per_dt = {r["dt"]: r["count"] for r in _curated(spark, target).groupBy("dt").count().collect()}
    assert per_dt == EXPECTED_PER_DAY
    assert summary["rows_read"] == sum(RAW_ROWS.values())
    assert summary["rows_written"] == sum(EXPECTED_PER_DAY.values())
    assert summary["dropped"] == DROPPED
    assert summary["partitions_written"] == DAYS


def test_partition_layout(full_run):
    _, target = full_run
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == ["dt=%s" % d for d in DAYS]
    for day in DAYS:
        data = [p.name for p in (target / ("dt=%s" % day)).iterdir() if not p.name.startswith(".")]
        assert data and all(n.endswith(".snappy.parquet") for n in data), data


def test_rows_are_clean(spark, full_run):
    _, target = full_run
    df = _curated(spark, target)
    assert df.groupBy("order_id").count().filter("count > 1").count() == 0
    assert {r[0] for r in df.select("channel").distinct().collect()} == {"web", "store", "mobile"}
    assert {r[0] for r in df.select("currency").distinct().collect()} == {"EUR", "USD", "GBP"}
    assert df.filter(~df.country.rlike("^[A-Z]{2}$")).count() == 0
    bad = "quantity <= 0 OR unit_price <= 0 OR amount != quantity * unit_price"
    assert df.filter(bad).count() == 0
    assert df.filter("to_date(order_ts) != to_date(dt)").count() == 0
    # A replayed order keeps its first (earliest) timestamp.
    # Formatted by Spark (session time zone UTC): collect() would use the OS time zone.
    ts = F.date_format("order_ts", "yyyy-MM-dd'T'HH:mm:ss'Z'")
    got = dict(df.select("order_id", ts).collect())
    assert got == {oid: row["order_ts"] for rows in KEPT.values() for oid, row in rows.items()}


# --- re-runs, date ranges, catalog ----------------------------------------------------

def test_rerun_replaces_only_its_partitions(job, spark, full_run, tmp_path):
    _, original = full_run
    target = tmp_path / "sales"
    shutil.copytree(original, target)
    before = _files(target)
    rerun = ("dt=2026-01-10", "dt=2026-01-11")
    for _ in range(2):
        summary = _run(job, spark, SAMPLE, target, "--no-catalog",
                       "--start-date", "2026-01-10", "--end-date", "2026-01-11")
        assert summary["partitions_written"] == ["2026-01-10", "2026-01-11"]
    after = _files(target)
    def others(files):  # data of the other days: same names, sizes and mtimes
        return {k: v for k, v in files.items() if k.startswith("dt=") and not k.startswith(rerun)}
    assert len(others(before)) >= 12 and others(after) == others(before)
    for part in rerun:  # new files replaced the old ones, not added next to them
        old = {k for k in before if k.startswith(part + "/")}
        new = {k for k in after if k.startswith(part + "/")}
        assert new and not old & new
    per_dt = {r["dt"]: r["count"] for r in _curated(spark, target).groupBy("dt").count().collect()}
    assert per_dt == EXPECTED_PER_DAY


def test_date_range_run_registers_table(job, spark, tmp_path):
    """End to end as on EMR: a two-day range, then the table through the catalog."""
    spark.sql("CREATE DATABASE IF NOT EXISTS range_db")
    target = tmp_path / "sales"
    summary = _run(job, spark, SAMPLE, target, "--database", "range_db",
                   "--start-date", "2026-01-12", "--end-date", "2026-01-13")
    want = {d: EXPECTED_PER_DAY[d] for d in ("2026-01-12", "2026-01-13")}
    assert summary["rows_per_dt"] == want
    assert summary["rows_read"] == RAW_ROWS["2026-01-12"] + RAW_ROWS["2026-01-13"]  # pruned
    folders = sorted(p.name for p in target.iterdir() if p.is_dir())
    assert folders == ["dt=2026-01-12", "dt=2026-01-13"]
    rows = spark.sql("SELECT dt, count(*) AS n FROM range_db.sales GROUP BY dt").collect()
    assert {r["dt"]: r["n"] for r in rows} == want


def test_register_table(job, spark, full_run):
    summary, target = full_run
    spark.sql("CREATE DATABASE IF NOT EXISTS curated_db")
    for _ in range(2):  # idempotent: the second call changes nothing
        job.register_table(spark, "curated_db", "sales", str(target), summary["partitions_written"])
    parts = [r[0] for r in spark.sql("SHOW PARTITIONS curated_db.sales").collect()]
    assert parts == ["dt=%s" % d for d in DAYS]
    cols = spark.catalog.listColumns("curated_db.sales")
    assert [c.name for c in cols if c.isPartition] == ["dt"]
    assert [(c.name, c.dataType) for c in cols] == EXPECTED_SCHEMA
    total = spark.sql("SELECT count(*) FROM curated_db.sales").first()[0]
    assert total == summary["rows_written"] == sum(EXPECTED_PER_DAY.values())
    week = spark.sql("SELECT count(*) FROM curated_db.sales "
                     "WHERE dt BETWEEN '2026-01-01' AND '2026-01-07'").first()[0]
    assert week == sum(EXPECTED_PER_DAY[d] for d in DAYS[:7])

"""A third dataset declared only by a contract in a temporary folder: Parquet raw files with
natively typed columns, a composite key, a renamed raw column, a partition not called dt,
two days of allowed lateness. The same job curates it with no code change."""
import datetime
import textwrap
from collections import Counter
from decimal import Decimal

import pytest

from lake_config.contracts import load_dataset
from tests.spark_jobs.local_lake import LocalLake, read_parquet

T = pytest.importorskip("pyspark.sql.types")

CONTRACT = """
apiVersion: v3.2.0
kind: DataContract
id: meter_readings
name: meter_readings
version: 0.1.0
status: draft
description:
  purpose: Smart-meter readings; declared only in this test.
servers:
  - server: raw
    type: s3
    location: s3://{raw-bucket}/meters/readings/
    format: parquet
  - server: curated
    type: s3
    location: s3://{curated-bucket}/meters/readings/
    format: parquet
customProperties:
  - property: allowedLatenessDays
    value: 2
schema:
  - name: meter_readings
    physicalName: readings
    physicalType: table
    properties:
      - {name: meter_id, logicalType: string, physicalType: string, required: true, primaryKey: true,
         primaryKeyPosition: 1, logicalTypeOptions: {pattern: "^M-[0-9]{4}$"},
         customProperties: [{property: normalize, value: upper}]}
      - {name: seq, logicalType: integer, physicalType: bigint, required: true, primaryKey: true,
         primaryKeyPosition: 2, logicalTypeOptions: {minimum: 1}}
      - {name: read_at, logicalType: timestamp, physicalType: timestamp, required: true}
      - {name: kwh, logicalType: number, physicalType: "decimal(9,3)", required: true,
         logicalTypeOptions: {minimum: 0}}
      - {name: voltage, logicalType: number, physicalType: double, logicalTypeOptions: {minimum: 180, maximum: 260}}
      - {name: estimated, logicalType: boolean, physicalType: boolean, required: true}
      - {name: billing_day, logicalType: date, physicalType: date, logicalTypeOptions: {format: dd.MM.yyyy}}
      - {name: site, logicalType: string, physicalType: string, required: true, enum: [{value: NORTH}, {value: SOUTH}],
         customProperties: [{property: normalize, value: upper}, {property: rawName, value: Site}]}
      - {name: cost_eur, logicalType: number, physicalType: "decimal(12,4)", required: true,
         transformSourceObjects: [kwh], transformLogic: kwh * 0.25}
      - {name: day, logicalType: string, physicalType: string, partitioned: true, partitionKeyPosition: 1,
         transformSourceObjects: [read_at], transformLogic: "date_format(read_at, 'yyyy-MM-dd')"}
"""
RAW_SCHEMA = T.StructType([
    T.StructField("meter_id", T.StringType()), T.StructField("seq", T.LongType()),
    T.StructField("read_at", T.TimestampType()), T.StructField("kwh", T.DecimalType(9, 3)),
    T.StructField("voltage", T.DoubleType()), T.StructField("estimated", T.BooleanType()),
    T.StructField("billing_day", T.StringType()), T.StructField("Site", T.StringType()),
    T.StructField("dt", T.StringType()),
])
KEPT, DUPLICATE = "kept", "duplicate"


def _at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)


def _row(folder, meter, seq, at, kwh="1.250", voltage=230.0, billing="01.02.2026", site="NORTH"):
    return (meter, seq, at and _at(at), Decimal(kwh), voltage, False, billing, site, folder)


# (raw row, what the job must do with it)
ROWS = [
    (_row("2026-02-01", "M-0001", 1, "2026-02-01T08:00:00", site="north"), KEPT),
    (_row("2026-02-01", "M-0001", 2, "2026-02-01T09:00:00", kwh="2.500", site=" North "), KEPT),
    (_row("2026-02-01", "M-0001", 2, "2026-02-01T09:05:00", kwh="2.600"), DUPLICATE),
    (_row("2026-02-01", "M-0002", 1, "2026-02-01T10:00:00", kwh="-0.500"), "kwh:minimum"),
    (_row("2026-02-01", "m-77", 1, "2026-02-01T10:30:00"), "meter_id:pattern"),
    (_row("2026-02-01", "M-0003", 1, "2026-02-01T11:00:00", voltage=300.0), "voltage:maximum"),
    (_row("2026-02-01", "M-0003", 2, "2026-02-01T12:00:00", billing="2026-02-01"), "billing_day:type"),
    (_row("2026-02-01", "M-0004", 1, "2026-02-01T13:00:00", site="EAST"), "site:enum"),
    (_row("2026-02-01", "M-0004", 0, "2026-02-01T14:00:00"), "seq:minimum"),
    (_row("2026-02-02", "M-0001", 3, "2026-02-02T08:00:00", voltage=None, billing=None), KEPT),
    (_row("2026-02-02", "M-0002", 5, "2026-01-31T23:00:00"), KEPT),  # two days late: allowed
    (_row("2026-02-02", "M-0002", 6, "2026-01-30T10:00:00"), "read_at:late"),
    (_row("2026-02-02", "M-0005", 1, None), "read_at:required"),
    (_row("2026-02-03", "M-0001", 2, "2026-02-01T09:00:00", kwh="2.500", site=" North "), DUPLICATE),
]


@pytest.fixture(scope="module")
def curated(tmp_path_factory, spark, job):
    root = tmp_path_factory.mktemp("third")
    (root / "contracts" / "meter_readings").mkdir(parents=True)
    (root / "contracts" / "meter_readings" / "contract.odcs.yaml").write_text(textwrap.dedent(CONTRACT))
    dataset = load_dataset("meter_readings", root / "contracts")
    lake = LocalLake(root / "lake")
    raw = spark.createDataFrame([row for row, _ in ROWS], RAW_SCHEMA)
    raw.write.partitionBy("dt").parquet(lake.local("s3://raw-bucket/" + dataset.raw_prefix))
    return dataset, lake.curate(job, spark, dataset, run_id="third-1")


def test_counts_follow_the_declared_rules(curated):
    _, run = curated
    outcomes = Counter(outcome for _, outcome in ROWS)
    report = run.report
    assert report["rows_read"] == len(ROWS)
    assert {k: v for k, v in report["rejected_by_rule"].items() if v} == {
        k: v for k, v in outcomes.items() if k not in (KEPT, DUPLICATE)}
    assert report["duplicates_removed"] == outcomes[DUPLICATE]
    assert report["rows_written"] == outcomes[KEPT]
    assert report["late_rows"] == 1
    assert report["rows_per_partition"] == {"2026-01-31": 1, "2026-02-01": 2, "2026-02-02": 1}


def test_schema_partition_and_values(curated, spark):
    dataset, run = curated
    df = read_parquet(spark, run.target)
    assert [(f.name, f.dataType.simpleString()) for f in df.schema] == \
        [(c.name, c.type) for c in dataset.columns] + [("day", "string")]
    assert sorted(p.name for p in run.target.iterdir() if p.is_dir()) == \
        ["day=2026-01-31", "day=2026-02-01", "day=2026-02-02"]
    rows = {(r.meter_id, r.seq): r for r in df.collect()}
    assert set(rows) == {("M-0001", 1), ("M-0001", 2), ("M-0001", 3), ("M-0002", 5)}
    kept = rows[("M-0001", 2)]
    assert (kept.kwh, kept.cost_eur, kept.site) == (Decimal("2.500"), Decimal("0.6250"), "NORTH"), \
        "the earliest reading wins; decimals exact; text trimmed and normalised"
    assert rows[("M-0001", 1)].billing_day == datetime.date(2026, 2, 1)
    assert rows[("M-0001", 3)].voltage is None and rows[("M-0001", 3)].billing_day is None


def test_quarantine_names_the_rules(curated, spark):
    _, run = curated
    got = sorted((r.raw.meter_id, r.raw.seq, tuple(r.rules)) for r in read_parquet(spark, run.quarantine).collect())
    want = sorted((row[0], str(row[1]), (outcome,)) for row, outcome in ROWS if outcome not in (KEPT, DUPLICATE))
    assert got == want

"""The generic curation job on every declared dataset, each from its own sample, end to end as
on EMR: the arguments curation_step_arguments builds, the curated table created from the
contract beforehand (as CloudFormation does), partitions added through the catalog.
Expectations come from the contract and the raw files; where the dataset's folder holds a
sample generator, also from its ledger of dirty rows (`generated`)."""
import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from lake_config.curation_step import job_spec
from tests.spark_jobs.local_lake import SHIPPED_DATABASE as DATABASE
from tests.spark_jobs.local_lake import declared_datasets, generated_datasets, read_parquet, report_schema
from tests.spark_jobs.sample_expectations import expected_report, raw_records, rejected_dirt

F = pytest.importorskip("pyspark.sql.functions")

DATASETS = sorted(d.name for d in declared_datasets())
GENERATED = sorted(d.name for d in generated_datasets())


@pytest.fixture(params=DATASETS)
def shipped(request, full_run):
    return full_run(request.param)


@pytest.fixture(params=GENERATED)
def generated(request, full_run):
    """A dataset whose sample comes with its generator's ledger of dirty rows."""
    return full_run(request.param)


def test_report_counts_follow_from_the_raw_files(shipped):
    """For every dataset, hand-made sample or generated: the rows read are the raw records the
    files hold (read with the csv and json modules), each read row is written, rejected,
    removed as a duplicate or outside the range, and rejections name the contract's rules."""
    dataset, sample, _, run = shipped
    report = run.report
    assert report["rows_read"] == sum(len(raw_records(dataset, data)) for data in sample.files.values()) > 0
    assert report["rows_read"] == (report["rows_written"] + report["rows_rejected"]
                                   + report["duplicates_removed"] + report["rows_outside_range"])
    assert report["rows_written"] > 0 and sum(report["rejected_by_rule"].values()) >= report["rows_rejected"]


def test_report_counts_are_the_documented_dirt(generated, generator):
    dataset, sample, dirt_kinds, run = generated
    want = expected_report(dataset, sample, dirt_kinds, generator)
    report = run.report
    assert report["rows_read"] == want["rows_read"]
    assert report["rows_read_per_folder"] == want["rows_read_per_folder"]
    assert report["rows_rejected"] == want["rows_rejected"] > 0
    assert {k: v for k, v in report["rejected_by_rule"].items() if v} == want["rejected_rules"]
    assert report["duplicates_removed"] == want["duplicates_removed"] > 0
    assert report["late_rows"] == want["late_rows"]
    assert report["rows_per_partition"] == want["rows_per_partition"]
    assert report["rows_written"] == sum(want["rows_per_partition"].values())
    assert report["partitions_written"] == sorted(want["rows_per_partition"])
    assert report["rows_outside_range"] == 0
    assert report["rows_read"] == (report["rows_written"] + report["rows_rejected"]
                                   + report["duplicates_removed"] + report["rows_outside_range"])


def test_every_rule_is_reported_and_the_dirt_names_real_rules(shipped, job, spark):
    dataset, _, dirt_kinds, run = shipped
    spec = job_spec(dataset)
    rule_ids = [r.id for r in dataset.rules] + job.job_rule_ids(spec)
    assert sorted(run.report["rejected_by_rule"]) == sorted(rule_ids)
    quarantined = {rule for row in read_parquet(spark, run.quarantine).collect() for rule in row.rules} if run.quarantine.exists() else set()
    assert quarantined == {rule for rule, rows in run.report["rejected_by_rule"].items() if rows} and quarantined <= set(rule_ids)
    named = {effect for _, effect in (dirt_kinds or {}).values() if ":" in effect}
    assert named <= set(rule_ids), "the generator documents rules the contract does not have"


def test_report_is_written_printed_and_matches_the_documented_schema(shipped):
    dataset, _, _, run = shipped
    written = json.loads(run.report_file.read_text())
    printed = [line for line in run.stdout.splitlines() if line.startswith("CURATION_REPORT ")]
    assert len(printed) == 1 and json.loads(printed[0].split(" ", 1)[1]) == written == run.report
    jsonschema.validate(written, report_schema())
    assert (written["dataset"], written["table"], written["run_id"]) == (dataset.name, dataset.table, "full-1")


def test_curated_schema_is_the_contract(shipped, spark):
    dataset, _, _, run = shipped
    want = [(c.name, c.type) for c in dataset.columns]
    df = read_parquet(spark, run.target)
    assert [(f.name, f.dataType.simpleString()) for f in df.schema] == want + [(dataset.partition, "string")]
    one_file = next(Path(run.target).glob("%s=*/*.snappy.parquet" % dataset.partition))
    assert [(f.name, f.dataType.simpleString()) for f in spark.read.parquet(str(one_file)).schema] == want


def test_partition_layout_is_one_snappy_file_per_day(shipped):
    dataset, _, _, run = shipped
    folders = sorted(p.name for p in run.target.iterdir() if p.is_dir())
    assert folders == ["%s=%s" % (dataset.partition, d) for d in run.report["partitions_written"]]
    for folder in folders:
        data = [p.name for p in (run.target / folder).iterdir() if not p.name.startswith((".", "_"))]
        assert len(data) == 1 and data[0].endswith(".snappy.parquet"), data


def _python_violations(dataset, row):
    """The contract's rules checked in Python on one curated row (an oracle apart from the job)."""
    broken = []
    for column in dataset.columns:
        value = row[column.name]
        if value is None:
            broken += ["%s:required" % column.name] if column.required else []
            continue
        if isinstance(value, str) and column.type == "string":
            if value != value.strip() or value == "":
                broken.append("%s:trim" % column.name)
            if column.normalize and value != getattr(value, column.normalize)():
                broken.append("%s:normalize" % column.name)
        checks = {
            "pattern": lambda p: re.search(p, str(value)),
            "min_length": lambda n: len(value) >= n, "max_length": lambda n: len(value) <= n,
            "minimum": lambda b: Decimal(str(value)) >= b, "exclusive_minimum": lambda b: Decimal(str(value)) > b,
            "maximum": lambda b: Decimal(str(value)) <= b, "exclusive_maximum": lambda b: Decimal(str(value)) < b,
        }
        for kind, check in checks.items():
            bound = getattr(column, kind)
            if bound is not None and not check(bound):
                broken.append("%s:%s" % (column.name, kind))
        if column.allowed is not None and value not in column.allowed:
            broken.append("%s:enum" % column.name)
    return broken


def test_curated_rows_satisfy_the_contract(shipped, spark):
    dataset, _, _, run = shipped
    df = read_parquet(spark, run.target)
    # Formatted by Spark in UTC: collect() would render timestamps in the OS time zone.
    event_day = F.date_format(dataset.event_time, "yyyy-MM-dd").alias("__event_day")
    rows = df.select("*", event_day).collect()
    assert len(rows) == run.report["rows_written"]
    assert [v for r in rows for v in _python_violations(dataset, r.asDict())] == []
    assert all(r[dataset.partition] == r["__event_day"] for r in rows)
    keys = [tuple(r[k] for k in dataset.key) + (r[dataset.partition],) for r in rows]
    assert len(keys) == len(set(keys)), "the key is unique within a partition"


def test_derived_columns_are_their_expression(shipped, spark):
    dataset, _, _, run = shipped
    derived = [c for c in dataset.columns if c.derived]
    df = read_parquet(spark, run.target)
    for column in derived:
        assert df.filter(~F.expr("`%s` <=> CAST(%s AS %s)" % (column.name, column.expression, column.type))).count() == 0


def test_quarantine_holds_each_rejected_row_with_its_rules_and_origin(generated, spark, generator):
    dataset, sample, dirt_kinds, run = generated
    rows = read_parquet(spark, run.quarantine).collect()
    key = dataset.key[0]
    got = {}
    for row in rows:
        assert row.rules, "a quarantined row names the rules it broke"
        value = row.raw[key] or next(d.key for d in sample.dirt if row.record and d.key in row.record)
        got[(row.dt, value)] = row.rules
        assert row.run_id == "full-1"
        assert "/%sdt=%s/" % (dataset.raw_prefix, row.dt) in row.source_file
    assert len(got) == len(rows)
    want = rejected_dirt(sample, dirt_kinds, generator)
    assert {k: list(v) for k, v in got.items()} == {k: [rule] for k, rule in want.items()}
    assert run.report["quarantine_partitions_written"] == sorted({folder for folder, _ in want})


def test_quarantine_keeps_the_raw_text_as_it_arrived(shipped, spark):
    dataset, sample, _, run = shipped
    by_file = {}
    for row in read_parquet(spark, run.quarantine).collect():
        if row.record is not None:  # a line that did not parse is kept whole
            assert any(row.record in data.decode() for data in sample.files.values())
            continue
        relative = row.source_file.split(dataset.raw_prefix, 1)[1]
        if relative not in by_file:
            by_file[relative] = raw_records(dataset, sample.files[relative])
        raw = {c.raw_name: row.raw[c.name] for c in dataset.raw_columns}
        assert raw in by_file[relative]


def test_partitions_are_added_to_the_catalog(shipped, spark):
    dataset, _, _, run = shipped
    table = "%s.%s" % (DATABASE, dataset.table)
    parts = [r[0] for r in spark.sql("SHOW PARTITIONS %s" % table).collect()]
    assert parts == ["%s=%s" % (dataset.partition, d) for d in run.report["partitions_written"]]
    assert run.report["catalog_partitions_added"] == run.report["partitions_written"]
    counts = spark.sql("SELECT `%s` AS p, count(*) AS n FROM %s GROUP BY 1" % (dataset.partition, table)).collect()
    assert {r.p: r.n for r in counts} == run.report["rows_per_partition"]


def test_raw_and_curated_named_queries_agree_on_the_first_week(generated, spark, shipped_lake):
    """The named queries compare raw and curated over 2026-01-01..07: the sample's first
    week must curate to exactly what its raw text says."""
    dataset, _, _, run = generated
    raw_view, curated_view = "raw_%s" % dataset.name, "curated_%s" % dataset.name
    text_columns = ", ".join("`%s` string" % c.raw_name for c in dataset.raw_columns)
    reader = spark.read.schema("%s, dt string" % text_columns)
    source = shipped_lake.local("s3://raw-bucket/" + dataset.raw_prefix)
    raw = (reader.option("header", "true").option("sep", dataset.csv_delimiter).csv(source)
           if dataset.raw_format == "csv" else reader.json(source))
    raw.createOrReplaceTempView(raw_view)
    read_parquet(spark, run.target).createOrReplaceTempView(curated_view)
    compared = [q for q in dataset.named_queries if set(q.zones) == {"raw", "curated"}]
    assert compared, "every shipped dataset compares raw and curated"
    for query in compared:
        raw_rows, curated_rows = (spark.sql(query.sql.replace("{database}.{table}", view)).collect()
                                  for view in (raw_view, curated_view))
        assert len(raw_rows) == len(curated_rows) > 0
        for raw_row, curated_row in zip(raw_rows, curated_rows):
            for a, b in zip(raw_row, curated_row):
                if isinstance(a, str):
                    assert a == b
                else:
                    assert float(a) == pytest.approx(float(b))


def test_duplicates_keep_the_earliest_event(generated, spark, generator):
    dataset, sample, dirt_kinds, run = generated
    event_time = dataset.column(dataset.event_time)
    duplicated = {d.key for d in sample.dirt if dirt_kinds[d.kind][1] == generator.DUPLICATE}
    earliest = {}
    for data in sample.files.values():
        for record in raw_records(dataset, data):
            if record and record[dataset.key[0]] in duplicated:
                key, text = record[dataset.key[0]], record[event_time.raw_name]
                earliest[key] = min(earliest.get(key, text), text)
    df = read_parquet(spark, run.target).filter(F.col(dataset.key[0]).isin(sorted(duplicated)))
    kept = dict(df.select(dataset.key[0], F.date_format(dataset.event_time, event_time.format)).collect())
    assert kept == earliest and len(set(earliest.values())) > 1

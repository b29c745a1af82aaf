"""One local SparkSession for the Spark tests (the JVM start dominates their run time), and a
local stand-in for the lake's buckets that runs the curation job with the arguments
`lake_config.curation_step.curation_step_arguments` builds, exactly as the CLI and the pipeline do."""
import contextlib
import importlib.util
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from lake_config import load_settings
from lake_config.contracts import load_dataset
from lake_config.curation_step import curation_step_arguments
from lake_config.datasets import SAMPLE_DIR
from sample_data import GENERATOR_FILE, Sample, load_generator
from tests.helpers import CDK_CONTEXT, FORK_DATASETS, ROOT, stage_context

JOB = ROOT / "spark_jobs" / "curate" / "curate.py"
GENERATOR = ROOT / "scripts" / "generate_sample_data.py"
RAW_BUCKET, CURATED_BUCKET = "raw-bucket", "curated-bucket"
SCRIPT_URI = "s3://artifacts/curate.py"


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declared_datasets():
    """Every dataset a stage of cdk.json deploys, and the fork's own that bring a sample
    (tests/fixtures): each is curated from its own sample/ folder."""
    found = {}
    for stage in CDK_CONTEXT["stages"]:
        for dataset in load_settings(stage_context(stage)).datasets:
            found.setdefault(dataset.name, dataset)
    for own in FORK_DATASETS:
        if (own / SAMPLE_DIR).is_dir():
            found.setdefault(own.name, load_dataset(own.name, own.parent))
    return list(found.values())


def generated_datasets():
    """The declared datasets whose folder holds a sample generator: its ledger of dirty rows
    says what each run must report."""
    return [d for d in declared_datasets() if (d.directory / GENERATOR_FILE).is_file()]


# The curated sample of the lake the shipped_lake fixture holds; every declared dataset is there.
shipped_datasets = declared_datasets


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """local[2] with Hive support on a throwaway Derby metastore, UI off, few shuffle partitions.

    Hive support is what EMR uses (there the Glue Data Catalog plays the metastore), so
    the catalog test runs the same code path offline.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql")
    home = tmp_path_factory.mktemp("spark")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]").appName("test-curate")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=%s;create=true" % (home / "metastore_db"))
        # C1-only JIT and serial GC: for a short test JVM on 2 cores this halves CPU time
        # (less compiling, no parallel GC threads); nothing here needs peak throughput.
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=%s "
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" % home)
        .enableHiveSupport()
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def job():
    return load_module(JOB, "curate")


@pytest.fixture(scope="session")
def generator():
    return load_module(GENERATOR, "generate_sample_data")


@dataclass
class Run:
    report: dict
    stdout: str
    target: Path
    quarantine: Path
    report_file: Path


class LocalLake:
    """s3://raw-bucket/ and s3://curated-bucket/ as two folders under `root`."""

    def __init__(self, root):
        self.root = Path(root)

    def local(self, uri):
        for bucket, zone in ((RAW_BUCKET, "raw"), (CURATED_BUCKET, "curated")):
            uri = uri.replace("s3://%s/" % bucket, "%s/%s/" % (self.root, zone))
        return uri

    def add_raw(self, dataset, sample_dir):
        shutil.copytree(sample_dir, self.root / "raw" / dataset.raw_prefix)

    def arguments(self, dataset, *, run_id, database=None, start_date=None, end_date=None):
        args = curation_step_arguments(
            dataset, script_uri=SCRIPT_URI, raw_bucket=RAW_BUCKET, curated_bucket=CURATED_BUCKET,
            database=database or "unused", run_id=run_id, start_date=start_date, end_date=end_date)
        assert args[:4] == ["spark-submit", "--deploy-mode", "cluster", SCRIPT_URI]
        return [self.local(a) for a in args[4:]] + ([] if database else ["--no-catalog"])

    def curate(self, job, spark, dataset, *, run_id="test-run", **options):
        args = self.arguments(dataset, run_id=run_id, **options)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            report = job.main(args, spark=spark)
        return Run(report, out.getvalue(), self.root / "curated" / dataset.curated_prefix,
                   self.root / "curated" / dataset.quarantine_prefix,
                   self.root / "curated" / ("%s%s.json" % (dataset.report_prefix, run_id)))


def curated_table_ddl(dataset, database, location):
    """The curated table as CloudFormation creates it from the contract (Hive, Parquet)."""
    columns = ", ".join("`%s` %s" % (c.name, c.type) for c in dataset.columns)
    return ("CREATE TABLE `%s`.`%s` (%s) PARTITIONED BY (`%s` string) STORED AS PARQUET LOCATION '%s'"
            % (database, dataset.table, columns, dataset.partition, location))


def read_parquet(spark, path):
    """A partitioned folder as Athena sees it: partition values strings, not inferred dates."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    try:
        return spark.read.parquet(str(path))
    finally:
        spark.conf.unset("spark.sql.sources.partitionColumnTypeInference.enabled")


def files(root):
    """Data files under root with (size, mtime): what a re-run must leave alone."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in Path(root).rglob("*.parquet")}


def report_schema():
    """The report's JSON Schema, as docs/DATASETS.md defines it (the first json block after
    the 'Report schema' heading)."""
    text = (ROOT / "docs" / "DATASETS.md").read_text()
    section = text[text.index("### Report schema"):]
    block = section[section.index("```json") + len("```json"):]
    return json.loads(block[:block.index("```")])


SHIPPED_DATABASE = "shipped_curated"


@pytest.fixture(scope="session")
def shipped_lake(tmp_path_factory, spark):
    """Every shipped sample in the raw bucket, its curated table created from the contract."""
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    spark.sql("CREATE DATABASE IF NOT EXISTS %s" % SHIPPED_DATABASE)
    for dataset in shipped_datasets():
        lake.add_raw(dataset, dataset.sample_dir)
        location = lake.local("s3://%s/%s" % (CURATED_BUCKET, dataset.curated_prefix))
        spark.sql(curated_table_ddl(dataset, SHIPPED_DATABASE, location))
    return lake


@pytest.fixture(scope="session")
def full_run(shipped_lake, job, spark, generator):
    """name -> (dataset, its sample with the ledger, its DIRT (None for a hand-made sample), the
    run over all of it): one run per dataset and test session, as on EMR (catalog registration
    included)."""
    runs = {}

    def run(name):
        if name not in runs:
            dataset = next(d for d in declared_datasets() if d.name == name)
            module = load_generator(dataset.directory)
            if module:
                sample, dirt_kinds = module.generate(), module.DIRT
            else:  # hand-made files: no ledger, the files are the sample
                files = {str(p.relative_to(dataset.sample_dir)): p.read_bytes() for p in dataset.sample_dir.rglob("*") if p.is_file()}
                sample, dirt_kinds = Sample(name, files), None
            result = shipped_lake.curate(job, spark, dataset, run_id="full-1", database=SHIPPED_DATABASE)
            runs[name] = (dataset, sample, dirt_kinds, result)
        return runs[name]

    return run

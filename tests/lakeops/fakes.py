"""A deployed stage inside moto, and the few things moto 5.2.5 cannot do on its own.

``deploy_stage`` creates what the stacks of cdk.json's dev stage would (buckets, KMS key,
Glue databases, per dataset a raw crawler, the curated table and the named queries,
Athena workgroup, EMR cluster) and publishes the SSM parameters of docs/CONTRACTS.md.

``Simulator`` patches moto, never lakeops, so the CLI talks to moto through the real
boto3 API. What it adds, and why:

* Athena: moto reports DataScannedInBytes as 0 and no StateChangeReason, and every query
  succeeds. Each started query takes the next planned outcome (final state, bytes scanned,
  reason, result rows); rows go through moto's own ``set_athena_result`` queue.
* Athena BatchGetNamedQuery is not implemented in moto; it is added on top of moto's
  GetNamedQuery model.
* Glue: moto's LastCrawl.Status says COMPLETED where Glue says SUCCEEDED, has no
  ErrorMessage, and a crawl only advances in ListCrawls. GetCrawler now advances it, the
  real values are reported, and a crawl can fail. Moto's crawler makes no tables, so a
  planned ``on_finish`` callback creates them through the Glue API, as a crawl would.
* EMR: steps stay RUNNING forever and FailureDetails is never reported. A planned outcome
  moves the step to its final state on the second DescribeStep.
"""

import functools
import json
from dataclasses import dataclass
from typing import Callable

import boto3
from moto.athena.models import AthenaBackend
from moto.athena.responses import AthenaResponse
from moto.emr.models import ElasticMapReduceBackend, Step
from moto.glue.models import FakeCrawler, GlueBackend
from moto.moto_api import state_manager
from moto.moto_api._internal.models import moto_api_backend

from lake_config import LakeSettings, load_settings
from tests.helpers import stage_context

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The stage the CLI tests deploy into moto: dev, exactly as cdk.json declares it.
SETTINGS = load_settings(stage_context("dev"))
PROJECT, STAGE = SETTINGS.project, SETTINGS.stage
PREFIX, PARAMS = SETTINGS.prefix, f"{SETTINGS.ssm_prefix}/"
# A named query the first dataset asks of its raw zone (every shipped contract has one over both zones).
FIRST = SETTINGS.datasets[0]
RAW_QUERY = next(q for q in FIRST.named_queries if set(q.zones) == {"raw", "curated"}).query_name("raw")
QUERY_NAMES = sorted(q.query_name(z) for d in SETTINGS.datasets for q in d.named_queries for z in q.zones)


@dataclass
class Deployed:
    kms_key_arn: str
    settings: LakeSettings = SETTINGS
    cluster_id: str = ""
    cutoff_bytes: int = 1024**3

    def bucket(self, zone: str) -> str:
        return f"{self.settings.prefix}-{zone}-{ACCOUNT}"

    @property
    def raw_bucket(self) -> str:
        return self.bucket("raw")

    @property
    def curated_bucket(self) -> str:
        return self.bucket("curated")

    @property
    def results_bucket(self) -> str:
        return self.bucket("athena-results")

    @property
    def logs_bucket(self) -> str:
        return self.bucket("logs")

    @property
    def raw_database(self) -> str:
        return f"{self.settings.glue_prefix}_raw"

    @property
    def curated_database(self) -> str:
        return f"{self.settings.glue_prefix}_curated"

    @property
    def workgroup(self) -> str:
        return self.settings.prefix

    @property
    def script_uri(self) -> str:
        return f"s3://{self.logs_bucket}/artifacts/curate.py"

    @property
    def log_uri(self) -> str:
        return f"s3://{self.logs_bucket}/emr/"

    @property
    def datasets(self):
        return self.settings.datasets

    def raw_crawler(self, dataset: str) -> str:
        return f"{self.settings.prefix}-{dataset}-raw"

    def ruleset(self, dataset: str) -> str:
        return f"{self.settings.prefix}-{dataset}"

    def dq_role(self, dataset: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.settings.prefix}-{dataset}-dq"

    def parameter(self, key: str) -> str:
        return f"{self.settings.ssm_prefix}/{key}"

    def parameters(self) -> dict[str, str]:
        values = {
            "storage/kms-key-arn": self.kms_key_arn,
            "storage/raw-bucket": self.raw_bucket,
            "storage/curated-bucket": self.curated_bucket,
            "storage/athena-results-bucket": self.results_bucket,
            "storage/logs-bucket": self.logs_bucket,
            "catalog/raw-database": self.raw_database,
            "catalog/curated-database": self.curated_database,
            "analytics/workgroup": self.workgroup,
            "emr/mode": "long_running",
            "emr/cluster-id": self.cluster_id,
            "emr/curation-script-uri": self.script_uri,
            "emr/log-uri": self.log_uri,
            "pipeline/state-machine-arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:datalake-dev-pipeline",
            "pipeline/log-group": "/aws/vendedlogs/states/datalake-dev-pipeline",
            "pipeline/dead-letter-queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/datalake-dev-schedule-dlq",
        }
        for dataset in self.datasets:
            path = f"catalog/datasets/{dataset.name}"
            values |= {
                f"{path}/raw-crawler": self.raw_crawler(dataset.name),
                f"{path}/raw-table": dataset.raw_table,
                f"{path}/curated-table": dataset.table,
                f"{path}/data-quality-ruleset": self.ruleset(dataset.name),
                f"{path}/data-quality-role": self.dq_role(dataset.name),
            }
        return values


@functools.cache
def client(service: str):
    """The tests' own clients, shared across tests: creating a botocore client costs ~50 ms,
    and moto intercepts requests whenever a mock is active, whichever mock created the client."""
    return boto3.client(service, region_name=REGION)


def deploy_stage() -> Deployed:
    """What ``make deploy STAGE=dev`` leaves behind, as far as the CLI can see: per dataset a
    raw crawler, the declared curated table and the named queries of its contract."""
    deployed = Deployed(kms_key_arn=client("kms").create_key(Description="lake key")["KeyMetadata"]["Arn"])
    s3 = client("s3")
    for bucket in (deployed.raw_bucket, deployed.curated_bucket, deployed.results_bucket, deployed.logs_bucket):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=deployed.logs_bucket, Key="artifacts/curate.py", Body=b"# spark job\n")

    glue = client("glue")
    role = f"arn:aws:iam::{ACCOUNT}:role/crawler"
    for database in (deployed.raw_database, deployed.curated_database):
        glue.create_database(DatabaseInput={"Name": database})
    athena = client("athena")
    athena.create_work_group(Name=deployed.workgroup, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{deployed.results_bucket}/"},
        "EnforceWorkGroupConfiguration": True,
        "BytesScannedCutoffPerQuery": deployed.cutoff_bytes,
    })
    for dataset in deployed.datasets:
        glue.create_crawler(Name=deployed.raw_crawler(dataset.name), Role=role, DatabaseName=deployed.raw_database,
                            Targets={"S3Targets": [{"Path": f"s3://{deployed.raw_bucket}/{dataset.raw_prefix}"}]})
        create_table(dataset, deployed.curated_database, deployed.curated_bucket, [], parquet=True)
        for query in dataset.named_queries:
            for zone in query.zones:
                database = deployed.raw_database if zone == "raw" else deployed.curated_database
                table = dataset.raw_table if zone == "raw" else dataset.table
                athena.create_named_query(Name=query.query_name(zone), Database=database, WorkGroup=deployed.workgroup,
                                          QueryString=query.render(database=database, table=table))

    deployed.cluster_id = client("emr").run_job_flow(
        Name=deployed.settings.prefix, ReleaseLabel="emr-7.13.0", LogUri=deployed.log_uri,
        Instances={"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 2,
                   "KeepJobFlowAliveWhenNoSteps": True},
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
    )["JobFlowId"]

    ssm = client("ssm")
    for key, value in deployed.parameters().items():
        ssm.put_parameter(Name=deployed.parameter(key), Value=value, Type="String")
    return deployed


def create_table(dataset, database: str, bucket: str, partitions: list[str], parquet: bool = False) -> None:
    """A dataset's table as the raw crawler (CSV/JSON) or CloudFormation (curated Parquet) makes it."""
    glue = client("glue")
    fmt = ("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" if parquet
           else "org.apache.hadoop.mapred.TextInputFormat")
    prefix = dataset.curated_prefix if parquet else dataset.raw_prefix
    storage = {"Columns": [{"Name": c.name, "Type": c.type if parquet else "string"} for c in dataset.columns],
               "Location": f"s3://{bucket}/{prefix}", "InputFormat": fmt}
    name = dataset.table if parquet else dataset.raw_table
    glue.create_table(DatabaseName=database, TableInput={
        "Name": name, "StorageDescriptor": storage, "PartitionKeys": [{"Name": dataset.partition, "Type": "string"}]})
    add_partitions(dataset, database, bucket, partitions, parquet)


def add_partitions(dataset, database: str, bucket: str, partitions: list[str], parquet: bool = True) -> None:
    """What the curation job (curated) or a crawl (raw) registers for each date."""
    glue = client("glue")
    name, prefix = (dataset.table, dataset.curated_prefix) if parquet else (dataset.raw_table, dataset.raw_prefix)
    storage = glue.get_table(DatabaseName=database, Name=name)["Table"]["StorageDescriptor"]
    for dt in partitions:
        glue.create_partition(DatabaseName=database, TableName=name, PartitionInput={
            "Values": [dt], "StorageDescriptor": {**storage, "Location": f"s3://{bucket}/{prefix}{dataset.partition}={dt}/"}})


def athena_rows(columns: list[str], rows: list[list[str]]) -> tuple[list[dict], list[dict]]:
    """Rows as GetQueryResults returns them for a SELECT: the header first, then the data."""
    as_row = lambda values: {"Data": [{"VarCharValue": value} for value in values]}  # noqa: E731
    column_info = [{"Name": name, "Label": name, "Type": "varchar"} for name in columns]
    return [as_row(columns)] + [as_row(row) for row in rows], column_info


@dataclass
class QueryOutcome:
    state: str = "SUCCEEDED"
    bytes_scanned: int = 0
    reason: str | None = None
    columns: list[str] | None = None
    rows: list[list[str]] | None = None


@dataclass
class CrawlOutcome:
    status: str = "SUCCEEDED"  # or FAILED
    error: str | None = None
    on_finish: Callable[[], None] | None = None
    fired: bool = False


@dataclass
class StepOutcome:
    state: str = "COMPLETED"  # or FAILED / CANCELLED
    failure: dict | None = None
    on_finish: Callable[[], None] | None = None
    polls: int = 0


class Simulator:
    """Plans what the next queries, crawls and steps do. Install with ``install(monkeypatch)``."""

    def __init__(self):
        self.queries: list[QueryOutcome] = []
        self.crawls: dict[str, CrawlOutcome] = {}
        self.steps: list[StepOutcome] = []

    def plan_query(self, **outcome) -> None:
        self.queries.append(QueryOutcome(**outcome))

    def plan_crawl(self, crawler: str, **outcome) -> None:
        self.crawls[crawler] = CrawlOutcome(**outcome)

    def plan_step(self, **outcome) -> None:
        self.steps.append(StepOutcome(**outcome))

    def stall_queries(self) -> None:
        """Queries stay QUEUED, for timeouts."""
        state_manager.set_transition("athena::execution", {"progression": "manual", "times": 10**9})

    def install(self, monkeypatch) -> None:
        # One state per poll, so the CLI's progress shows the intermediate states.
        state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1})
        state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 2})
        self._patch_athena(monkeypatch)
        self._patch_glue(monkeypatch)
        self._patch_emr(monkeypatch)

    @staticmethod
    def uninstall() -> None:
        state_manager.unset_transition("athena::execution")
        state_manager.unset_transition("glue::crawl")

    def _patch_athena(self, monkeypatch) -> None:
        simulator = self
        original_start = AthenaBackend.start_query_execution
        original_get = AthenaResponse.get_query_execution

        def start_query_execution(backend, *args, **kwargs):
            outcome = simulator.queries.pop(0) if simulator.queries else QueryOutcome()
            if outcome.rows is not None:
                rows, column_info = athena_rows(outcome.columns, outcome.rows)
                moto_api_backend.set_athena_result(rows=rows, column_info=column_info,
                                                   account_id=backend.account_id, region=backend.region_name)
            execution_id = original_start(backend, *args, **kwargs)
            execution = backend.executions[execution_id]
            execution._transitions = [("QUEUED", "RUNNING"), ("RUNNING", outcome.state)]
            execution.outcome = outcome
            return execution_id

        def get_query_execution(response):
            body = json.loads(original_get(response))
            execution_body = body["QueryExecution"]
            execution = response.athena_backend.executions[execution_body["QueryExecutionId"]]
            outcome = getattr(execution, "outcome", QueryOutcome())
            execution_body["Statistics"]["DataScannedInBytes"] = outcome.bytes_scanned
            if outcome.reason and execution_body["Status"]["State"] == outcome.state:
                execution_body["Status"]["StateChangeReason"] = outcome.reason
            return json.dumps(body)

        def batch_get_named_query(response):
            ids = response._get_param("NamedQueryIds")
            found = [response.athena_backend.get_named_query(query_id) for query_id in ids]
            return json.dumps({
                "NamedQueries": [{"Name": q.name, "Description": q.description, "Database": q.database,
                                  "QueryString": q.query_string, "NamedQueryId": q.id,
                                  "WorkGroup": q.workgroup.name} for q in found if q],
                "UnprocessedNamedQueryIds": [{"NamedQueryId": i, "ErrorCode": "INVALID_INPUT"}
                                             for i, q in zip(ids, found) if not q],
            })

        monkeypatch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
        monkeypatch.setattr(AthenaResponse, "get_query_execution", get_query_execution)
        monkeypatch.setattr(AthenaResponse, "batch_get_named_query", batch_get_named_query, raising=False)

    def _patch_glue(self, monkeypatch) -> None:
        simulator = self
        original_start = FakeCrawler.start_crawler
        original_get = GlueBackend.get_crawler
        original_as_dict = FakeCrawler.as_dict

        def start_crawler(crawler):
            original_start(crawler)
            outcome = simulator.crawls.pop(crawler.name, None) or CrawlOutcome()
            crawl = crawler.crawls[-1]
            if outcome.status == "FAILED":
                crawl._transitions = [("RUNNING", "FAILED"), ("STOPPING", "STOPPED")]
            crawl.outcome = outcome

        def get_crawler(backend, name):
            crawler = original_get(backend, name)
            if crawler.crawls:
                crawl = crawler.crawls[-1]
                crawl.advance()
                outcome = getattr(crawl, "outcome", None)
                if outcome and crawl.status != "RUNNING" and not outcome.fired:
                    outcome.fired = True
                    if outcome.on_finish and crawl.status == "COMPLETED":
                        outcome.on_finish()
            return crawler

        def as_dict(crawler):
            data = original_as_dict(crawler)
            if "LastCrawl" in data:
                crawl = crawler.crawls[-1]
                data["LastCrawl"]["Status"] = {"COMPLETED": "SUCCEEDED", "STOPPED": "CANCELLED"}.get(
                    crawl.status, crawl.status)
                outcome = getattr(crawl, "outcome", None)
                if outcome and outcome.error and crawl.status == "FAILED":
                    data["LastCrawl"]["ErrorMessage"] = outcome.error
            return data

        monkeypatch.setattr(FakeCrawler, "start_crawler", start_crawler)
        monkeypatch.setattr(GlueBackend, "get_crawler", get_crawler)
        monkeypatch.setattr(FakeCrawler, "as_dict", as_dict)

    def _patch_emr(self, monkeypatch) -> None:
        simulator = self
        original_add = ElasticMapReduceBackend.add_job_flow_steps
        original_describe = ElasticMapReduceBackend.describe_step
        original_status = Step.status

        def add_job_flow_steps(backend, job_flow_id, steps):
            added = original_add(backend, job_flow_id, steps)
            for step in added:
                step.outcome = simulator.steps.pop(0) if simulator.steps else StepOutcome()
            return added

        def describe_step(backend, cluster_id, step_id):
            step = original_describe(backend, cluster_id, step_id)
            outcome = getattr(step, "outcome", None)
            if outcome and step.state in ("PENDING", "RUNNING"):
                outcome.polls += 1
                if outcome.polls >= 2:
                    step.state = outcome.state
                    step.failure_details = outcome.failure
                    if outcome.on_finish and outcome.state == "COMPLETED":
                        outcome.on_finish()
            return step

        def status(step):
            result = original_status.fget(step)
            if getattr(step, "failure_details", None):
                result["FailureDetails"] = step.failure_details
            return result

        monkeypatch.setattr(ElasticMapReduceBackend, "add_job_flow_steps", add_job_flow_steps)
        monkeypatch.setattr(ElasticMapReduceBackend, "describe_step", describe_step)
        monkeypatch.setattr(Step, "status", property(status))

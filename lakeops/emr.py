"""The curation Spark job as an EMR step on the stage's long-lived cluster."""

import json
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone

from botocore.exceptions import ClientError

from lake_config.curation_step import curation_step_arguments
from lake_config.datasets import Dataset
from lakeops import configuration
from lakeops.aws import error_code
from lakeops.errors import LakeOpsError, NotDeployedError
from lakeops.waiting import wait_for

CLUSTER_PARAM = "emr/cluster-id"
RUN_JOB_PARAMS = (
    CLUSTER_PARAM,
    "emr/curation-script-uri",
    "storage/raw-bucket",
    "storage/curated-bucket",
    "catalog/curated-database",
)
GONE_STATES = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
STARTING_STATES = ("STARTING", "BOOTSTRAPPING")
# The job prints its report on stdout as one line with this marker, and writes it to S3.
REPORT_MARKER = "CURATION_REPORT"


@dataclass
class StepReport:
    cluster_id: str
    step_id: str
    state: str
    elapsed_seconds: float
    log_location: str | None


@dataclass
class CurationRun:
    dataset: str
    run_id: str
    step: StepReport
    report_uri: str
    report: dict


def new_run_id(now: datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSSZ-<6 hex>`: sortable, unique enough, safe in an S3 key (docs/CONTRACTS.md)."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def usable_cluster(lake, emr, timeout: float) -> dict:
    """The stage's cluster, refused if it is gone and waited for if it is still starting."""
    cluster_id = lake.param(CLUSTER_PARAM)
    try:
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    except ClientError as err:
        if error_code(err) in ("InvalidRequestException", "NoSuchCluster"):
            raise NotDeployedError(
                f"EMR cluster {cluster_id} (from {lake.stage.parameter_name(CLUSTER_PARAM)}) does not exist: "
                f"{err}\n  {_new_cluster_hint(lake)}"
            ) from err
        raise
    state = cluster["Status"]["State"]
    if state in STARTING_STATES:
        lake.progress(f"  cluster {cluster_id} is {state}; waiting until it can take steps")
        wait_for(
            emr.get_waiter("cluster_running"),
            label=f"cluster {cluster_id}", state_path="Cluster.Status.State", timeout=timeout,
            poll_interval=lake.poll_interval, progress=lake.progress,
            on_timeout=f"check it with 'aws emr describe-cluster --cluster-id {cluster_id}'.",
            ClusterId=cluster_id,
        )
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        state = cluster["Status"]["State"]
    if state in GONE_STATES:
        reason = cluster["Status"].get("StateChangeReason", {}).get("Message", "no reason given")
        raise NotDeployedError(
            f"EMR cluster {cluster_id} is {state} ({reason}) and cannot run steps. "
            f"The cluster terminates itself when idle.\n  {_new_cluster_hint(lake)}"
        )
    return cluster


def _new_cluster_hint(lake) -> str:
    stack = lake.resources.publisher(CLUSTER_PARAM)
    # Other stacks read the EMR stack's outputs through weak references, which CloudFormation
    # resolves only when it deploys them: deploy the whole stage after recreating it.
    return (
        f"Get a new cluster by recreating stack {stack}, then deploying the whole stage (the stacks that read its "
        f"outputs keep the old values until they are deployed again): "
        f"'cdk destroy {stack} -c stage={lake.stage.name} && make deploy STAGE={lake.stage.name}' "
        f"(it republishes {lake.stage.parameter_name(CLUSTER_PARAM)})."
    )


def step_log_location(lake, cluster: dict, step_id: str) -> str | None:
    """Where EMR copies the step's stdout/stderr/controller logs: <LogUri><cluster-id>/steps/<step-id>/.

    The cluster's own LogUri wins over the published parameter: it is what EMR actually uses.
    EMR reports it with the s3n:// scheme, which the aws CLI does not accept.
    """
    log_uri = cluster.get("LogUri") or lake.resources.get("emr/log-uri")
    if not log_uri:
        return None
    log_uri = "s3://" + log_uri.split("://", 1)[1] if "://" in log_uri else log_uri
    return f"{log_uri.rstrip('/')}/{cluster['Id']}/steps/{step_id}/"


def refuse_transient(lake) -> None:
    """A stage in emr.mode transient has no cluster between pipeline runs to submit a step to."""
    if lake.resources.get("emr/mode") == "transient":
        raise NotDeployedError(
            f"stage '{lake.stage.name}' runs transient clusters (emr.mode transient): there is no cluster to submit to. "
            "Run 'lakeops run-pipeline', which creates one, curates every dataset and terminates it."
        )


def run_curation(lake, dataset: Dataset, start_date: date | None, end_date: date | None, timeout: float,
                 run_id: str | None = None) -> CurationRun:
    """Submits the dataset's curation step (the arguments the pipeline uses too), waits for it with
    boto3's step_complete waiter, and reads the report the job wrote."""
    refuse_transient(lake)
    cluster_id, script_uri, raw_bucket, curated_bucket, database = lake.require(*RUN_JOB_PARAMS)
    run_id = run_id or new_run_id()
    emr = lake.client("emr")
    cluster = usable_cluster(lake, emr, timeout)
    # Named like the pipeline's steps (<prefix>-curate-<dataset>), so the failed-step rule sees it too.
    step_name = f"{lake.stage.project}-{lake.stage.name}-curate-{dataset.name}" + (
        f" {start_date}..{end_date}" if start_date and end_date else ""
    )
    args = curation_step_arguments(
        dataset, script_uri=script_uri, raw_bucket=raw_bucket, curated_bucket=curated_bucket, database=database,
        run_id=run_id, start_date=start_date.isoformat() if start_date else None,
        end_date=end_date.isoformat() if end_date else None, emr=configuration.emr_settings(lake.stage.name),
    )
    step = {
        "Name": step_name,
        # CONTINUE: a failed job must not take the shared cluster down with it.
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }
    step_id = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"][0]
    lake.progress(f"  submitted step {step_id} ({step_name}, run {run_id}) to cluster {cluster_id}")
    started = time.monotonic()
    wait_for(
        emr.get_waiter("step_complete"),
        label=f"step {step_id}", state_path="Step.Status.State", timeout=timeout,
        poll_interval=lake.poll_interval, progress=lake.progress,
        on_timeout=f"check it with 'aws emr describe-step --cluster-id {cluster_id} --step-id {step_id}'.",
        ClusterId=cluster_id, StepId=step_id,
    )
    status = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]
    logs = step_log_location(lake, cluster, step_id)
    if status["State"] != "COMPLETED":
        details = status.get("FailureDetails", {})
        raise LakeOpsError(
            f"EMR step {step_id} ({step_name}) on cluster {cluster_id} {status['State']}\n"
            f"  Reason: {details.get('Reason', '(none given)')}\n"
            f"  Message: {details.get('Message', '(none given)')}\n"
            f"  Log file: {details.get('LogFile', '(none given)')}\n"
            f"  Step logs: {logs or '(the cluster has no LogUri)'}"
        )
    report_key = f"{dataset.report_prefix}{run_id}.json"
    step_report = StepReport(cluster_id, step_id, status["State"], time.monotonic() - started, logs)
    return CurationRun(dataset.name, run_id, step_report, f"s3://{curated_bucket}/{report_key}",
                       read_report(lake, curated_bucket, report_key, logs))


def read_report(lake, bucket: str, key: str, logs: str | None) -> dict:
    """The run's JSON report; without it the step's success cannot be trusted."""
    try:
        body = lake.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as err:
        if error_code(err) not in ("NoSuchKey", "404"):
            raise
        raise LakeOpsError(
            f"the step completed but wrote no report at s3://{bucket}/{key}; the job prints it on stdout as "
            f"'{REPORT_MARKER} <json>': see the step logs at {logs or '(the cluster has no LogUri)'}"
        ) from err
    try:
        return json.loads(body)
    except ValueError as err:
        raise LakeOpsError(f"the report at s3://{bucket}/{key} is not JSON: {err}") from err


def report_lines(run: CurationRun) -> list[str]:
    """read / written / rejected per rule, from the job's report (docs/CONTRACTS.md)."""
    report = run.report
    number = lambda key: f"{report[key]:,}" if isinstance(report.get(key), int) else "?"  # noqa: E731
    lines = [
        f"Curation report of {run.dataset}, run {run.run_id}: read {number('rows_read')}, "
        f"written {number('rows_written')}, rejected {number('rows_rejected')}, "
        f"duplicates removed {number('duplicates_removed')}, late {number('late_rows')}"
    ]
    rejected = {rule: count for rule, count in (report.get("rejected_by_rule") or {}).items() if count}
    lines += [f"  rejected by {rule}: {count:,}" for rule, count in sorted(rejected.items())] or ["  rejected by rule: none"]
    partitions = report.get("partitions_written") or []
    lines.append(f"  partitions written: {', '.join(partitions) if partitions else 'none'}")
    lines.append(f"  report: {run.report_uri}")
    return lines

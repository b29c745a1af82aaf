"""The curation Spark job as an EMR step on the stage's long-lived cluster."""

import time
from dataclasses import dataclass
from datetime import date

from botocore.exceptions import ClientError

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
CURATED_TABLE = "sales"
GONE_STATES = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
STARTING_STATES = ("STARTING", "BOOTSTRAPPING")


@dataclass
class StepReport:
    cluster_id: str
    step_id: str
    state: str
    elapsed_seconds: float
    log_location: str | None


def curation_args(script_uri: str, raw_bucket: str, curated_bucket: str, database: str,
                  start_date: date | None, end_date: date | None) -> list[str]:
    """command-runner.jar arguments: spark-submit in cluster mode with the job's contract arguments."""
    args = [
        "spark-submit", "--deploy-mode", "cluster", script_uri,
        "--source", f"s3://{raw_bucket}/sales/",
        "--target", f"s3://{curated_bucket}/sales/",
        "--database", database,
        "--table", CURATED_TABLE,
    ]
    if start_date and end_date:
        args += ["--start-date", start_date.isoformat(), "--end-date", end_date.isoformat()]
    return args


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
    return (
        f"Get a new cluster by recreating stack {stack}: "
        f"'cdk destroy {stack} -c stage={lake.stage.name} && cdk deploy {stack} -c stage={lake.stage.name}' "
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


def run_curation(lake, start_date: date | None, end_date: date | None, timeout: float) -> StepReport:
    """Submits the curation job and waits for the step with boto3's step_complete waiter."""
    if lake.resources.get("emr/mode") == "transient":
        raise NotDeployedError(
            f"stage '{lake.stage.name}' runs transient clusters (emr.mode transient): there is no cluster to submit to. "
            "Run 'lakeops run-pipeline', which creates one, curates every dataset and terminates it."
        )
    cluster_id, script_uri, raw_bucket, curated_bucket, database = lake.require(*RUN_JOB_PARAMS)
    emr = lake.client("emr")
    cluster = usable_cluster(lake, emr, timeout)
    step_name = "curate-sales" + (f" {start_date}..{end_date}" if start_date and end_date else "")
    step = {
        "Name": step_name,
        # CONTINUE: a failed job must not take the shared cluster down with it.
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": curation_args(script_uri, raw_bucket, curated_bucket, database, start_date, end_date),
        },
    }
    step_id = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"][0]
    lake.progress(f"  submitted step {step_id} ({step_name}) to cluster {cluster_id}")
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
    return StepReport(cluster_id, step_id, status["State"], time.monotonic() - started, logs)

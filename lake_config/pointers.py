"""Where to look when something failed: one wording for the CLI and for the stage's notifications.

Each message is a `str.format` template with named fields. The CLI fills them with the values
it has; lake_constructs/monitoring fills them with EventBridge input-transformer placeholders
(`<stepId>`), so an e-mail about a failed step points where `lakeops run-pipeline` would. It
lives in lake_config, which the CDK app and the CLI both import (CDK code never imports
lakeops); pure Python, no AWS imports.
"""
import re

STEP_LOGS = "{log_uri}{cluster_id}/steps/{step_id}/"
CLUSTER_LOGS = "{log_uri}{cluster_id}/"

STEP_FAILED = (
    "EMR step {step_name} ({step_id}) on cluster {cluster_id} is {state}: {message}\n"
    "Step logs (stderr, stdout, controller): " + STEP_LOGS + "\n"
    "Details: aws emr describe-step --cluster-id {cluster_id} --step-id {step_id}"
)
CLUSTER_FAILED = (
    "EMR cluster {cluster_name} ({cluster_id}) is {state}: {message}\n"
    "Cluster logs: " + CLUSTER_LOGS + "\n"
    "Details: aws emr describe-cluster --cluster-id {cluster_id}"
)
RUN_ENDED = (
    "Pipeline run {execution_name} of {state_machine} ended {status}.\n"
    "What failed and each step's log location: aws stepfunctions describe-execution --execution-arn {execution_arn} "
    "(or lakeops run-pipeline output)\n"
    "Every state it went through: log group {log_group}, or aws stepfunctions get-execution-history --execution-arn {execution_arn}"
)
CRAWLER_FAILED = (
    "Glue crawler {crawler} {state}: {message}\n"
    "Crawler log: {log_link}\n"
    "Details: aws glue get-crawler --name {crawler}"
)
ATHENA_QUERIES = (
    "Athena queries in workgroup {workgroup} {what} in the last {minutes} minutes. A query stopped by the "
    "workgroup's bytes-scanned cap ({cutoff_mb} MB) is CANCELLED; add a partition filter (dt) or raise "
    "analytics.bytes_scanned_cutoff_mb.\n"
    "Which ones and why: aws athena list-query-executions --work-group {workgroup}, then "
    "aws athena get-query-execution --query-execution-id <id> (Status.StateChangeReason)"
)
SPICE_INGESTION = (
    "QuickSight SPICE ingestion of dataset {dataset_id} failed.\n"
    "Why: aws quicksight list-ingestions --aws-account-id <account> --data-set-id {dataset_id} (ErrorInfo), "
    "and lakeops check-quicksight"
)
CLUSTER_IDLE = (
    "EMR cluster {cluster_id} has been idle longer than its idle timeout ({idle_seconds} s) and is still up: "
    "auto-termination did not end it. Cluster logs: " + CLUSTER_LOGS + "\n"
    "Details: aws emr describe-cluster --cluster-id {cluster_id}"
)
SCHEDULE_FAILED = (
    "EventBridge Scheduler could not start {state_machine}: the failed start is on queue {queue}.\n"
    "Why (ErrorCode, ErrorMessage): aws sqs receive-message --queue-url {queue_url} --attribute-names All "
    "--message-attribute-names All"
)
# The sweeper's message (Step Functions States.Format: no quotes or braces besides the fields).
LEFTOVER_CLUSTER = (
    "EMR cluster {cluster_id} was still running after its pipeline run {execution_arn} had ended ({status}), "
    "so the sweeper terminated it. Cluster logs: " + CLUSTER_LOGS + " . "
    "What the run did: aws stepfunctions describe-execution --execution-arn {execution_arn}"
)


def step_logs(log_uri: str, cluster_id: str, step_id: str) -> str:
    return STEP_LOGS.format(log_uri=_slash(log_uri), cluster_id=cluster_id, step_id=step_id)


def cluster_logs(log_uri: str, cluster_id: str) -> str:
    return CLUSTER_LOGS.format(log_uri=_slash(log_uri), cluster_id=cluster_id)


def fields(template: str) -> list[str]:
    """The named fields of `template`, in order of appearance (repeats included)."""
    return re.findall(r"\{([a-z_]+)\}", template)


def positional(template: str, **literals: str) -> str:
    """`template` with `literals` filled in and every other field as `{}` (for States.Format)."""
    return re.sub(r"\{([a-z_]+)\}", lambda m: literals.get(m.group(1), "{}"), template)


def _slash(log_uri: str) -> str:
    return log_uri if log_uri.endswith("/") else f"{log_uri}/"

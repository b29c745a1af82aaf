"""One execution of the stage's curation pipeline, started and followed to its end."""

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from lake_config import pointers
from lakeops.aws import error_code
from lakeops.errors import LakeOpsError, NotDeployedError, WaitTimeoutError

PIPELINE_PARAM = "pipeline/state-machine-arn"
LOG_GROUP_PARAM = "pipeline/log-group"
# The states worth a progress line (the others are polls and argument rendering).
MILESTONES = {
    "CreateCluster": "creating a transient cluster",
    "ClusterCreated": "cluster ready",
    "FindCluster": "finding the long-running cluster",
    "AddStep": "submitting a curation step",
    "StepCompleted": "a curation step completed",
    "StepFailed": "a curation step failed",
    "StepTimedOut": "a curation step timed out and was cancelled",
    "StepNotSubmitted": "a curation step could not be submitted",
    "TerminateCluster": "terminating the cluster (steps done)",
    "StartCrawler": "crawling the curated zone",
    "StartEvaluation": "evaluating a data-quality ruleset",
    "Abandon": "a failure: cleaning up",
    "Done": "done",
}
HEARTBEAT_SECONDS = 30
# Each poll reads the history (for the progress lines): never more often than this.
MIN_POLL_SECONDS = 0.25


@dataclass
class PipelineReport:
    execution_arn: str
    status: str
    elapsed_seconds: float
    output: dict


def run_pipeline(lake, name: str | None, timeout: float) -> PipelineReport:
    """Starts an execution named `name` (default manual-<UTC time>) and waits for its end."""
    arn = lake.param(PIPELINE_PARAM)
    sfn = lake.client("stepfunctions")
    name = name or "manual-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        execution = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
    except ClientError as err:
        if error_code(err) == "StateMachineDoesNotExist":
            raise NotDeployedError(
                f"state machine {arn} (from {lake.stage.parameter_name(PIPELINE_PARAM)}) does not exist. "
                f"Run '{lake.stage.deploy_command}'."
            ) from err
        if error_code(err) == "ExecutionAlreadyExists":
            raise LakeOpsError(f"an execution named {name} already exists: give another --name") from err
        raise
    lake.progress(f"  started {execution}")
    started = time.monotonic()
    described = _follow(lake, sfn, execution, started, timeout)
    elapsed = time.monotonic() - started
    status = described["status"]
    if status != "SUCCEEDED":
        raise LakeOpsError(_failure(lake, described, execution))
    return PipelineReport(execution, status, elapsed, json.loads(described.get("output") or "{}"))


def _follow(lake, sfn, execution: str, started: float, timeout: float) -> dict:
    seen, last_report = 0, started
    while True:
        described = sfn.describe_execution(executionArn=execution)
        seen = _print_milestones(lake, sfn, execution, seen)
        if described["status"] != "RUNNING":
            return described
        now = time.monotonic()
        if now - last_report >= HEARTBEAT_SECONDS:
            lake.progress(f"  still RUNNING ({now - started:.0f}s elapsed)")
            last_report = now
        if now - started >= timeout:
            raise WaitTimeoutError(
                f"timed out after {now - started:.0f}s (--timeout {timeout:g}) following {execution}, still RUNNING. "
                f"It keeps running in AWS: aws stepfunctions describe-execution --execution-arn {execution}"
            )
        time.sleep(min(max(lake.poll_interval, MIN_POLL_SECONDS), max(timeout - (now - started), 0)))


def _print_milestones(lake, sfn, execution: str, seen: int) -> int:
    """Prints the milestones among the events after the first `seen`; returns the id of the last.

    Event ids count up from 1, so the history is read newest first and only down to the last
    event already seen: a poll of a long run reads a page, not the whole history again (a run of
    several datasets has hundreds of events, and GetExecutionHistory is throttled per account).
    """
    new: list[dict] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution, reverseOrder=True):
        fresh = [event for event in page["events"] if event["id"] > seen]
        new += fresh
        if len(fresh) < len(page["events"]):
            break
    for event in sorted(new, key=lambda event: event["id"]):
        entered = event.get("stateEnteredEventDetails")
        if entered and entered["name"] in MILESTONES:
            lake.progress(f"  {entered['name']}: {MILESTONES[entered['name']]}")
    return max((event["id"] for event in new), default=seen)


def _failure(lake, described: dict, execution: str) -> str:
    """What failed, each step's result and logs when the cause has them, and where to look."""
    cause = described.get("cause") or ""
    lines = [f"pipeline run {described['name']} {described['status']}" + (f": {described.get('error')}" if described.get("error") else "")]
    try:
        summary = json.loads(cause)
    except ValueError:
        summary = None
    if isinstance(summary, dict) and "steps" in summary:
        lines += [f"  {row}" for row in step_lines(summary)]
    elif cause:
        lines.append(f"  {cause}")
    lines.append(pointers.RUN_ENDED.format(
        execution_name=described["name"], state_machine=described["stateMachineArn"], status=described["status"],
        execution_arn=execution, log_group=lake.resources.get(LOG_GROUP_PARAM) or "(not published)",
    ))
    return "\n".join(lines)


def step_lines(summary: dict) -> list[str]:
    """One line per step, crawl and data-quality check of an execution's summary."""
    lines = [f"step {s['dataset']}: {s['state']}" + (f", logs {s['logs']}" if s.get("logs") else "") for s in summary.get("steps", [])]
    crawl = summary.get("crawl")
    if crawl:
        lines.append(f"crawler {crawl['crawler']}: {crawl['outcome']}")
    for check in summary.get("data_quality", []):
        score = f" (score {check['score']})" if "score" in check else ""
        lines.append(f"data quality {check['dataset']}: {check['outcome']}{score}")
    return lines

"""The curation pipeline's Amazon States Language definition, composed from asl/*.json.

    Plan -> get a cluster (create a transient one / find the long-running one)
         -> one curation step per dataset (Map; a failed step is recorded, the others go on)
         -> [transient] terminate the cluster
         -> [if a crawler is configured] crawl
         -> [if any dataset has a ruleset] Glue Data Quality per dataset
         -> summary; fail if a step, the crawl or a check failed
    Any unexpected error: terminate the transient cluster (if any), fail with the original error.

Only `aws-sdk:` integrations and polling loops (plus Lambda invoke and SNS publish), no `.sync`:
each wait is a Wait state, each poll is bounded by a counter, and moto can execute all of it.
No state calls EMR's DescribeCluster: its answer holds the Kerberos attributes, and a task's raw
answer stays in the execution history; the pipeline cluster function describes clusters
instead. Ignored task results go to a path of their own rather than `ResultPath: null`, which
AWS treats the same but moto mishandles after a Map state.
An execution that is stopped or times out runs none of this: the cluster sweeper
(cluster_sweeper.json) terminates what such a run left behind.
"""
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from lake_config import LakeSettings, pointers
from lake_config.curation_step import curation_step_arguments
from lake_config.datasets import Dataset
from lake_constructs.orchestration.asl_templates import chain

# Stands for the run's id in a step argument; the state machine puts the execution name there.
RUN_ID = "@RUN_ID@"


def _retry(errors: Sequence[str], interval: int, attempts: int) -> list[dict]:
    return [{"ErrorEquals": list(errors), "IntervalSeconds": interval, "BackoffRate": 2, "MaxAttempts": attempts, "JitterStrategy": "FULL"}]


# Throttling and transient service errors, with backoff. aws-sdk integrations name errors
# `<Service>.<Exception>`; errors the SDK model lacks (throttling among them) arrive as
# `<Service>.<Service>Exception`, so that name is retried as well, a bounded number of times.
EMR_RETRY = _retry(
    ["Emr.ThrottlingException", "Emr.InternalServerErrorException", "Emr.InternalServerException", "Emr.EmrException", "Emr.SdkClientException"],
    5, 5,
)
GLUE_RETRY = _retry(
    ["Glue.ThrottlingException", "Glue.InternalServiceException", "Glue.OperationTimeoutException",
     "Glue.ConcurrentRunsExceededException", "Glue.GlueException", "Glue.SdkClientException"],
    10, 5,
)
SSM_RETRY = _retry(["Ssm.InternalServerErrorException", "Ssm.SsmException", "Ssm.SdkClientException"], 5, 3)
SFN_RETRY = _retry(["Sfn.SfnException", "Sfn.SdkClientException"], 5, 3)
SNS_RETRY = _retry(["SNS.SdkClientException", "SNS.ThrottledException", "SNS.InternalErrorException"], 5, 3)
# The create-cluster function: Lambda's own transient errors, and EMR throttling it gave up on.
LAMBDA_RETRY = _retry(
    ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
     "Lambda.TooManyRequestsException", "ThrottlingException"],
    10, 3,
)


@dataclass(frozen=True)
class QualityCheck:
    """A Glue Data Quality ruleset to evaluate on a curated table after its dataset's step."""

    database: str
    table: str
    ruleset: str
    # The role the evaluation runs as: each dataset's reads only its own table (catalog stack).
    role_arn: str


@dataclass(frozen=True)
class PipelinePlan:
    """What a run does, decided at synth."""

    steps: list[dict]
    log_uri: str
    crawler: str | None = None


def dataset_steps(
    settings: LakeSettings,
    *,
    script_uri: str,
    raw_bucket: str,
    curated_bucket: str,
    database: str,
    quality: Mapping[str, QualityCheck],
) -> list[dict]:
    """One Map item per dataset: its step's name and arguments (`lake_config.curation_step.curation_step_arguments`,
    the same list the CLI submits) and its data-quality check, if it has one."""
    return [
        {
            "name": dataset.name,
            "step_name": step_name(settings, dataset),
            "args": _with_run_id(
                curation_step_arguments(
                    dataset,
                    script_uri=script_uri,
                    raw_bucket=raw_bucket,
                    curated_bucket=curated_bucket,
                    database=database,
                    run_id=RUN_ID,
                    emr=settings.emr,
                )
            ),
            "quality": _quality(quality.get(dataset.name)),
        }
        for dataset in settings.datasets
    ]


def step_name(settings: LakeSettings, dataset: Dataset) -> str:
    """`<prefix>-curate-<dataset>`: the failed-step rule matches the stage's steps by this prefix."""
    return f"{settings.prefix}-curate-{dataset.name}"


def _with_run_id(args: list[str]) -> list[Any]:
    # An argument holding the run id becomes {"format": "...{}..."}, filled by States.Format.
    converted = []
    for arg in args:
        if RUN_ID in arg:
            # A CDK token (bucket names hold the account) resolves to text without braces.
            if re.search(r"[{}]", re.sub(r"\$\{Token\[[^\]]*\]\}", "", arg)):
                raise ValueError(f"a step argument with the run id must not contain braces: {arg}")
            converted.append({"format": arg.replace(RUN_ID, "{}")})
        else:
            converted.append(arg)
    return converted


def _quality(check: QualityCheck | None) -> dict:
    # An explicit flag, not null: a null in a Pass state's literal parameters is easy to lose.
    if check is None:
        return {"enabled": False}
    return {"enabled": True, "database": check.database, "table": check.table, "ruleset": check.ruleset, "role": check.role_arn}


def pipeline_definition(
    settings: LakeSettings,
    plan: PipelinePlan,
    *,
    partition: str,
    cluster_function: str,
    cluster_request: dict | None = None,
    cluster_id_parameter: str | None = None,
    emr_stack: str,
) -> dict:
    """The whole definition. `cluster_function` is the pipeline cluster function's ARN; transient
    mode needs `cluster_request`, long-running mode `cluster_id_parameter` (the SSM parameter
    with the cluster id)."""
    pipeline = settings.pipeline
    common = {
        "Partition": partition,
        "PollSeconds": pipeline.poll_seconds,
        "EmrRetry": EMR_RETRY,
        "GlueRetry": GLUE_RETRY,
        "SsmRetry": SSM_RETRY,
        "LambdaRetry": LAMBDA_RETRY,
        "ClusterFunction": cluster_function,
    }
    transient = settings.emr.mode == "transient"
    with_quality = any(step["quality"]["enabled"] for step in plan.steps)
    plan_values = {"datasets": plan.steps, "log_uri": plan.log_uri}
    fragments: list[tuple[str, dict]] = [("pipeline_start", {"Plan": plan_values})]
    if transient:
        fragments.append((
            "acquire_transient",
            {
                **common,
                "ClusterRequest": cluster_request,
                "ClusterPolls": pipeline.cluster_polls,
                "ClusterStartMinutes": str(pipeline.cluster_start_timeout_minutes),
                "CapacityRetries": pipeline.capacity_retries,
                "CapacityRetrySeconds": pipeline.capacity_retry_minutes * 60,
            },
        ))
    else:
        fragments.append(("acquire_long_running", {**common, "ClusterIdParameter": cluster_id_parameter, "EmrStack": emr_stack}))
    fragments.append((
        "curate",
        {
            **common,
            "StepConcurrency": settings.emr.step_concurrency_level,
            "StepPolls": pipeline.step_polls,
            "StepTimeoutMinutes": str(pipeline.step_timeout_minutes),
        },
    ))
    if transient:
        fragments.append(("release_transient", common))
    if plan.crawler:
        fragments.append((
            "crawl",
            {**common, "Crawler": plan.crawler, "CrawlerPolls": pipeline.step_polls, "CrawlerTimeoutMinutes": str(pipeline.step_timeout_minutes)},
        ))
    if with_quality:
        fragments.append((
            "data_quality",
            {
                **common,
                "QualityPolls": pipeline.step_polls,
                "QualityTimeoutMinutes": pipeline.step_timeout_minutes,
            },
        ))
    fragments.append(("finish", {"Summary": _summary(plan, with_quality)}))
    if plan.crawler:
        fragments.append(("check_crawl", {}))
    if with_quality:
        fragments.append(("check_quality", {}))
    fragments.append(("succeed", {}))
    fragments.append(("abandon_transient" if transient else "abandon_long_running", common))
    definition = chain(fragments, on_error="Abandon")
    return {
        "Comment": f"{settings.prefix} curation pipeline ({settings.emr.mode} cluster): see lake_constructs/orchestration.",
        "TimeoutSeconds": pipeline.timeout_minutes * 60,
        **definition,
    }


def _summary(plan: PipelinePlan, with_quality: bool) -> dict:
    summary = {"execution.$": "$.run.name", "cluster_id.$": "$.cluster.id", "steps.$": "$.steps"}
    if plan.crawler:
        summary["crawl.$"] = "$.crawl"
    if with_quality:
        summary["data_quality.$"] = "$.quality"
    return summary


def sweeper_definition(
    *, partition: str, cluster_function: str, cluster_name: str, execution_tag: str, topic_arn: str, log_uri: str
) -> dict:
    """The cluster sweeper: terminates clusters named `cluster_name` whose `execution_tag` names a
    run that is no longer RUNNING, and says so on `topic_arn`."""
    message = pointers.positional(pointers.LEFTOVER_CLUSTER, log_uri=log_uri)
    paths = {"cluster_id": "$.cluster.Id", "execution_arn": "$.run.arns[0]", "status": "$.run_status.status"}
    arguments = ", ".join(paths[field] for field in pointers.fields(pointers.LEFTOVER_CLUSTER) if field in paths)
    values = {
        "Partition": partition,
        "ClusterFunction": cluster_function,
        "EmrRetry": EMR_RETRY,
        "LambdaRetry": LAMBDA_RETRY,
        "SfnRetry": SFN_RETRY,
        "SnsRetry": SNS_RETRY,
        "ClusterName": cluster_name,
        "ExecutionTag": execution_tag,
        "TopicArn": topic_arn,
        "LeftoverMessage": f"States.Format('{message}', {arguments})",
    }
    return {
        "Comment": "Terminates pipeline clusters whose run has ended (stopped, timed out or failed before its cleanup).",
        **chain([("cluster_sweeper", values)], on_error="SweepDone"),
    }

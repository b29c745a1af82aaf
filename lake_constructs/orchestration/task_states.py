"""Task states as Step Functions' own integrations write them, for CDK's state graph.

A task is a `CustomState` holding the ASL task (an `aws-sdk:` integration, or Lambda's and SNS's
optimized ones) rather than CallAwsService or LambdaInvoke: the stacks write each state
machine's policy themselves, exact to the resource (curation_pipeline.LoggedStateMachine), and
those classes would each carry a grant that the state machine's role never takes.
"""
from typing import Any, Sequence

from aws_cdk import Aws
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


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
# The cluster function: Lambda's own transient errors, and EMR throttling it gave up on.
LAMBDA_RETRY = _retry(
    ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
     "Lambda.TooManyRequestsException", "ThrottlingException"],
    10, 3,
)
RETRIES = {"emr": EMR_RETRY, "glue": GLUE_RETRY, "ssm": SSM_RETRY, "sfn": SFN_RETRY, "sns": SNS_RETRY, "lambda": LAMBDA_RETRY}


def task(
    scope: Construct,
    name: str,
    integration: str,
    parameters: dict[str, Any],
    *,
    result_path: str,
    result_selector: dict[str, Any] | None = None,
    comment: str | None = None,
    timeout_seconds: int | None = None,
) -> sfn.CustomState:
    """A Task state calling `integration` (`aws-sdk:emr:terminateJobFlows`, `lambda:invoke`,
    `sns:publish`), retried on its service's transient errors (RETRIES)."""
    service = integration.removeprefix("aws-sdk:").split(":")[0]
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": f"arn:{Aws.PARTITION}:states:::{integration}",
        "Parameters": parameters,
        "ResultPath": result_path,
        "Retry": RETRIES[service],
    }
    if comment:
        state["Comment"] = comment
    if result_selector:
        state["ResultSelector"] = result_selector
    if timeout_seconds:
        state["TimeoutSeconds"] = timeout_seconds
    return sfn.CustomState(scope, name, state_json=state)


def catch_all(state: sfn.CustomState | sfn.Map | sfn.Parallel, handler: sfn.IChainable, result_path: str = "$.error") -> None:
    """Any error of `state` goes to `handler`, with the error at `result_path` (the rest of the state kept)."""
    state.add_catch(handler, errors=["States.ALL"], result_path=result_path)


def invoke(scope: Construct, name: str, function_arn: str, payload: dict[str, Any], **kwargs: Any) -> sfn.CustomState:
    """The cluster function, called with `payload` (lambdas/pipeline_cluster/handler.py)."""
    return task(scope, name, "lambda:invoke", {"FunctionName": function_arn, "Payload": payload}, **kwargs)


def terminate(scope: Construct, name: str, cluster_id: str, *, comment: str | None = None) -> sfn.CustomState:
    """TerminateJobFlows of the cluster whose id is at the JSONPath `cluster_id`."""
    return task(scope, name, "aws-sdk:emr:terminateJobFlows", {"JobFlowIds.$": f"States.Array({cluster_id})"},
                result_path="$.terminated", comment=comment)


def describe_cluster(scope: Construct, name: str, function_arn: str, cluster_id: str, result_selector: dict, result_path: str) -> sfn.CustomState:
    """Through the cluster function: DescribeCluster's own answer carries the Kerberos attributes."""
    return invoke(scope, name, function_arn, {"Describe.$": cluster_id}, result_selector=result_selector, result_path=result_path,
                  comment="Through the cluster function: DescribeCluster's own answer carries the Kerberos attributes.")


def any_of(variable: str, values: Sequence[str]) -> sfn.Condition:
    """`variable` equals one of `values`."""
    return sfn.Condition.or_(*(sfn.Condition.string_equals(variable, value) for value in values))


def poll_counter(scope: Construct, name: str, path: str) -> sfn.Pass:
    """Adds one to the counter at `path` (`{"n": ...}`): each poll loop is bounded by it."""
    return sfn.Pass(scope, name, parameters={"n.$": f"States.MathAdd({path}.n, 1)"}, result_path=path)

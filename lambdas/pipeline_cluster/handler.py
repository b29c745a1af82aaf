"""The pipeline's door to EMR for what must not pass through Step Functions: the KDC admin password.

Two actions, both called by the stage's state machines:

* `create` ({"Request": <RunJobFlow request>, "ExecutionArn": ...}): the request the CDK app
  rendered (lake_constructs/processing/cluster_definition.py) never holds the password; this
  adds it from the secret named by KDC_PASSWORD_SECRET_ARN, tags the cluster with the run's
  execution ARN and returns only the cluster's id and ARN. Idempotent per run: a retried
  invocation finds the cluster this run already created (by its tag) instead of making another.
* `describe` ({"Describe": <cluster id>}): the cluster's name, state, state-change reason, tags
  and log URI. DescribeCluster's full answer includes the Kerberos attributes, whose model has
  a KdcAdminPassword field; a state machine calling it directly would keep that answer in its
  execution history and logs, so none does.
"""
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
# Standard retry mode backs off on throttling before the function gives up.
CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


class ThrottlingException(Exception):
    """EMR kept throttling: Step Functions retries the task on this error name."""


class InvalidRequest(Exception):
    """The request this function was given is not one it may send."""


def handler(event, context=None):
    emr = boto3.client("emr", config=CONFIG)
    try:
        if "Describe" in event:
            return describe(emr, event["Describe"])
        return create(emr, dict(event["Request"]), event["ExecutionArn"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("ThrottlingException", "Throttling"):
            raise ThrottlingException(str(error)) from None
        raise


def describe(emr, cluster_id: str) -> dict:
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    status = cluster["Status"]
    return {
        "Id": cluster["Id"],
        "Name": cluster["Name"],
        "State": status["State"],
        "Status": {"State": status["State"], "StateChangeReason": status.get("StateChangeReason", {})},
        "Tags": cluster.get("Tags", []),
        "LogUri": cluster.get("LogUri", ""),
    }


def create(emr, request: dict, execution_arn: str) -> dict:
    tag = os.environ["EXECUTION_TAG"]
    if "KdcAdminPassword" in request.get("KerberosAttributes", {}):
        raise InvalidRequest("the request must not carry KerberosAttributes.KdcAdminPassword: this function adds it")
    existing = _cluster_of_run(emr, request["Name"], tag, execution_arn)
    if existing:
        return existing
    password = boto3.client("secretsmanager", config=CONFIG).get_secret_value(
        SecretId=os.environ["KDC_PASSWORD_SECRET_ARN"]
    )["SecretString"]
    request["KerberosAttributes"] = {**request["KerberosAttributes"], "KdcAdminPassword": password}
    request["Tags"] = [*request.get("Tags", []), {"Key": tag, "Value": execution_arn}]
    created = emr.run_job_flow(**request)
    return {"ClusterId": created["JobFlowId"], "ClusterArn": created.get("ClusterArn")}


def _cluster_of_run(emr, name: str, tag: str, execution_arn: str) -> dict | None:
    for page in emr.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_STATES):
        for summary in page["Clusters"]:
            if summary["Name"] != name:
                continue
            tags = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"].get("Tags", [])
            if {"Key": tag, "Value": execution_arn} in tags:
                return {"ClusterId": summary["Id"], "ClusterArn": summary.get("ClusterArn")}
    return None

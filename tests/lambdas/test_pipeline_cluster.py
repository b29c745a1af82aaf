"""The pipeline cluster function, run against moto: the password goes to EMR and nowhere else."""
import importlib.util
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.helpers import ROOT

REGION = "eu-west-1"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:datalake-dev-pipeline:run-1"
PASSWORD = "generated-kdc-password-0123456789"


def load_handler():
    spec = importlib.util.spec_from_file_location("pipeline_cluster", ROOT / "lambdas" / "pipeline_cluster" / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


handler = load_handler()


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="kdc", SecretString=PASSWORD)
        monkeypatch.setenv("KDC_PASSWORD_SECRET_ARN", secret["ARN"])
        monkeypatch.setenv("EXECUTION_TAG", "pipeline-execution")
        yield boto3.client("emr", region_name=REGION)


def request() -> dict:
    return {
        "Name": "datalake-dev",
        "ReleaseLabel": "emr-7.13.0",
        "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m6g.xlarge"},
        "JobFlowRole": "instance-profile",
        "ServiceRole": "service-role",
        "KerberosAttributes": {"Realm": "EC2.INTERNAL"},
        "Tags": [{"Key": "stage", "Value": "dev"}],
    }


def test_create_adds_the_password_and_the_runs_tag_and_returns_only_ids(aws):
    created = handler.handler({"Request": request(), "ExecutionArn": EXECUTION})
    assert set(created) == {"ClusterId", "ClusterArn"} and PASSWORD not in json.dumps(created)
    cluster = aws.describe_cluster(ClusterId=created["ClusterId"])["Cluster"]
    assert cluster["KerberosAttributes"]["KdcAdminPassword"] == PASSWORD
    assert {"Key": "pipeline-execution", "Value": EXECUTION} in cluster["Tags"] and {"Key": "stage", "Value": "dev"} in cluster["Tags"]


def test_a_retried_create_returns_the_runs_cluster_instead_of_a_second_one(aws):
    first = handler.handler({"Request": request(), "ExecutionArn": EXECUTION})
    again = handler.handler({"Request": request(), "ExecutionArn": EXECUTION})
    other_run = handler.handler({"Request": request(), "ExecutionArn": EXECUTION.replace("run-1", "run-2")})
    assert again["ClusterId"] == first["ClusterId"] != other_run["ClusterId"]
    assert len(aws.list_clusters()["Clusters"]) == 2


def test_a_request_that_carries_a_password_is_refused(aws):
    bad = request()
    bad["KerberosAttributes"]["KdcAdminPassword"] = "from-somewhere-else"
    with pytest.raises(handler.InvalidRequest):
        handler.handler({"Request": bad, "ExecutionArn": EXECUTION})
    assert aws.list_clusters()["Clusters"] == []


def test_describe_answers_without_the_kerberos_attributes(aws):
    created = handler.handler({"Request": request(), "ExecutionArn": EXECUTION})
    assert "KdcAdminPassword" in json.dumps(aws.describe_cluster(ClusterId=created["ClusterId"]), default=str), "moto returns it"
    described = handler.handler({"Describe": created["ClusterId"]})
    assert PASSWORD not in json.dumps(described) and "KerberosAttributes" not in described
    assert described["Id"] == created["ClusterId"] and described["State"] == described["Status"]["State"] == "WAITING"
    assert {"Key": "pipeline-execution", "Value": EXECUTION} in described["Tags"]


def test_throttling_surfaces_as_the_error_the_state_machine_retries(aws, monkeypatch):
    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "RunJobFlow")

    monkeypatch.setattr(handler, "create", throttled)
    with pytest.raises(handler.ThrottlingException):
        handler.handler({"Request": request(), "ExecutionArn": EXECUTION})

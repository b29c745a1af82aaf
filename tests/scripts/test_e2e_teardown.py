"""The e2e teardown against moto: what CloudFormation leaves of an ephemeral stage goes, nothing else."""
import importlib.util

import boto3
import pytest
from moto import mock_aws

from tests.helpers import ROOT

_spec = importlib.util.spec_from_file_location("e2e_teardown", ROOT / "scripts" / "e2e_teardown.py")
teardown = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teardown)

REGION = "eu-west-1"


@pytest.fixture
def session(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def leftovers(session, stage: str) -> None:
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3")
    bucket = f"datalake-{stage}-raw-{account}-{REGION}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=bucket, Key="sales/dt=2026-01-01/sales.csv", Body=body)
    s3.delete_object(Bucket=bucket, Key="sales/dt=2026-01-01/sales.csv")  # a delete marker too
    logs = session.client("logs")
    for group in (f"/aws/lambda/datalake-{stage}-storage-CustomS3AutoDelete", f"/aws-glue/crawlers-role/datalake-{stage}-catalog-Raw-x",
                  f"datalake-{stage}-network-FlowLogs"):
        logs.create_log_group(logGroupName=group)
    secret = session.client("secretsmanager").create_secret(
        Name=f"ClusterKdcAdminPassword-{stage}", SecretString="x", Tags=[{"Key": "project", "Value": "datalake"}, {"Key": "stage", "Value": stage}]
    )
    session.client("secretsmanager").delete_secret(SecretId=secret["ARN"])  # what CloudFormation does: 30 days to recover
    # A transient cluster a cancelled pipeline run left running.
    session.client("emr").run_job_flow(
        Name=f"datalake-{stage}", ReleaseLabel="emr-7.13.0", ServiceRole="r", JobFlowRole="p",
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceGroups": [
            {"InstanceRole": "MASTER", "InstanceType": "m6g.xlarge", "InstanceCount": 1}]},
        Tags=[{"Key": "project", "Value": "datalake"}, {"Key": "stage", "Value": stage}],
    )


def active_clusters(session) -> list[str]:
    listed = session.client("emr").list_clusters(ClusterStates=teardown.ACTIVE_CLUSTER_STATES)["Clusters"]
    return sorted(c["Name"] for c in listed)


def test_the_sweep_removes_an_ephemeral_stages_leftovers_and_nothing_of_another_stage(session):
    leftovers(session, "pr42")
    leftovers(session, "pr7")
    assert teardown.sweep(session, "datalake", "pr42", dry_run=True)
    assert session.client("s3").list_buckets()["Buckets"], "a dry run changes nothing"

    assert active_clusters(session) == ["datalake-pr42", "datalake-pr7"], "a dry run terminates nothing"

    removed = teardown.sweep(session, "datalake", "pr42")
    assert len(removed) == 6 and sum(line.startswith("log group") for line in removed) == 3
    assert removed[0].startswith("cluster ") and active_clusters(session) == ["datalake-pr7"], "clusters go first"
    assert [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]] == [f"datalake-pr7-raw-123456789012-{REGION}"]
    remaining = [g["logGroupName"] for g in session.client("logs").describe_log_groups()["logGroups"]]
    assert remaining and all("-pr7-" in g for g in remaining)
    secrets = session.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in secrets] == ["ClusterKdcAdminPassword-pr7"]
    assert teardown.sweep(session, "datalake", "pr42") == [], "idempotent"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_shipped_stage_is_never_swept(session, stage):
    with pytest.raises(SystemExit, match=f"refusing to sweep '{stage}'"):
        teardown.sweep(session, "datalake", stage)
    with pytest.raises(SystemExit, match=f"refusing to sweep '{stage}'"):
        teardown.terminate_clusters(session, "datalake", stage)


@pytest.mark.parametrize("base", list(teardown.CONTEXT["stages"]))
def test_the_sweep_works_in_the_region_the_stage_was_deployed_to(base, monkeypatch, tmp_path):
    """`make e2e` deploys with the CDK CLI, which reads AWS_REGION like every AWS SDK (AWS SDKs and
    Tools Reference Guide, "AWS Region") unless the base stage pins one; boto3 reads
    `AWS_DEFAULT_REGION` and the profile instead (Boto3 documentation, "Configuration"), so a
    sweep by boto3's default alone would look in no region, or another one."""
    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    pinned = teardown.CONTEXT["stages"][base].get("region")
    assert teardown.session_for(base).region_name == (pinned or "ap-southeast-2")

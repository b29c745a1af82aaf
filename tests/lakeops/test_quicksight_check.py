"""The pre-deploy QuickSight check: subscribed, not subscribed, denied, manifest present or not.

Moto (5.2.5) serves STS, SSM and S3 here, but does not implement QuickSight's
DescribeAccountSubscription: it answers every call with a 404 "Not yet implemented" (see
test_moto_has_no_subscription_api). So the subscription answers (subscribed, not subscribed,
access denied, pending) come from botocore's Stubber on the same moto-backed client; the
account id still comes from moto's STS, and the manifest from moto's S3.
"""
import json

import pytest
from botocore.stub import Stubber

from lakeops.aws import Aws
from lakeops.errors import EXIT_ACCESS_DENIED, EXIT_FAILED, EXIT_NOT_DEPLOYED
from lakeops.quicksight_check import check_manifest, check_subscription, manifest, run_checks
from tests.lakeops.fakes import ACCOUNT, FIRST, PARAMS, PREFIX, PROJECT, REGION

SUBSCRIBED = {"AccountName": "acme-analytics", "Edition": "ENTERPRISE", "AccountSubscriptionStatus": "ACCOUNT_CREATED"}
MANIFEST_KEY = "quicksight/manifests/files.json"


@pytest.fixture
def clients(aws):
    return Aws(None, REGION)


@pytest.fixture
def answers(clients):
    """What DescribeAccountSubscription answers, queued per test."""
    with Stubber(clients.client("quicksight")) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def subscription(answers, **info):
    answers.add_response(
        "describe_account_subscription",
        {"AccountInfo": SUBSCRIBED | info, "Status": 200, "RequestId": "r-1"},
        {"AwsAccountId": ACCOUNT},
    )


def test_subscribed_account_is_ready_and_the_account_comes_from_sts(clients, answers):
    subscription(answers)
    (verdict,) = run_checks(clients.client)
    assert verdict.ok and verdict.exit_code == 0
    assert verdict.line() == f"ok: QuickSight account 'acme-analytics' ({ACCOUNT}) is ACCOUNT_CREATED, edition ENTERPRISE."


def test_standard_edition_is_ready_with_a_note(clients, answers):
    subscription(answers, Edition="STANDARD", AccountSubscriptionStatus="OK")
    verdict = check_subscription(clients.client("quicksight"), ACCOUNT)
    assert verdict.ok and "row-level security and hourly refresh need Enterprise edition" in verdict.message


def test_not_subscribed(clients, answers):
    # What QuickSight answers in an account that never subscribed; moto cannot produce it.
    answers.add_client_error("describe_account_subscription", "ResourceNotFoundException", "Account not found", 404)
    verdict = check_subscription(clients.client("quicksight"), ACCOUNT)
    assert (verdict.ok, verdict.exit_code) == (False, EXIT_FAILED)
    assert verdict.line() == (
        f"NOT READY: QuickSight is not subscribed in account {ACCOUNT}: subscribe once "
        "(docs/quicksight.md, 'One-time account setup'), then re-run this check."
    )


def test_access_denied(clients, answers):
    # Moto does not enforce IAM on QuickSight, so the denial is stubbed.
    answers.add_client_error("describe_account_subscription", "AccessDeniedException", "not authorized", 401)
    verdict = check_subscription(clients.client("quicksight"), ACCOUNT)
    assert (verdict.ok, verdict.exit_code) == (False, EXIT_ACCESS_DENIED)
    assert "access denied to quicksight:DescribeAccountSubscription" in verdict.message


@pytest.mark.parametrize(
    "status, expected",
    [("SIGNUP_ATTEMPT_IN_PROGRESS", "still being created"), ("UNSUBSCRIBED", "is UNSUBSCRIBED: subscribe again"), ("UNSUBSCRIBE_IN_PROGRESS", "subscribe again")],
)
def test_subscription_that_is_not_active(clients, answers, status, expected):
    subscription(answers, AccountSubscriptionStatus=status)
    verdict = check_subscription(clients.client("quicksight"), ACCOUNT)
    assert not verdict.ok and expected in verdict.message


def test_moto_has_no_subscription_api(clients):
    """Unstubbed, moto 5.2.5 answers 404 "Not yet implemented"; the check reports it, no traceback."""
    verdict = check_subscription(clients.client("quicksight"), ACCOUNT)
    assert (verdict.ok, verdict.exit_code) == (False, EXIT_FAILED)
    assert verdict.message.startswith(f"could not check the QuickSight subscription of account {ACCOUNT}: ")
    assert "Not yet implemented" in verdict.message


def test_manifest_missing_then_present(clients, deployed):
    s3 = clients.client("s3")
    missing = check_manifest(s3, deployed.curated_bucket)
    assert not missing.ok and missing.message.startswith(f"no manifest at s3://{deployed.curated_bucket}/{MANIFEST_KEY}: upload it")
    s3.put_object(Bucket=deployed.curated_bucket, Key=MANIFEST_KEY, Body=json.dumps(manifest(deployed.curated_bucket)).encode())
    assert check_manifest(s3, deployed.curated_bucket).ok


def test_manifest_lists_csv_files_under_the_files_prefix():
    assert manifest("lake-curated") == {
        "fileLocations": [{"URIPrefixes": ["s3://lake-curated/quicksight/files/"]}],
        "globalUploadSettings": {"format": "CSV", "delimiter": ",", "textqualifier": '"', "containsHeader": "true"},
    }


@pytest.fixture
def run_check(run_cli, clients, monkeypatch):
    """`python -m lakeops ... check-quicksight ARGS`, on the stubbed clients."""
    monkeypatch.setattr("lakeops.context.Aws", lambda profile, region: clients)
    return lambda *args, stage="dev": run_cli("check-quicksight", *args, stage=stage)


def test_command_checks_subscription_and_manifest_of_a_stage(clients, answers, deployed, run_check):
    subscription(answers)
    result = run_check()
    assert result.exit_code == EXIT_FAILED
    assert result.stdout.splitlines()[1].startswith("NOT READY: no manifest at")

    result = run_check("--print-manifest")  # asks only SSM, not QuickSight
    assert result.exit_code == 0
    assert json.loads(result.stdout) == manifest(deployed.curated_bucket)
    clients.client("s3").put_object(Bucket=deployed.curated_bucket, Key=MANIFEST_KEY, Body=result.stdout.encode())
    subscription(answers)
    result = run_check()
    assert result.exit_code == 0
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["ok", "ok"]


def test_command_exit_codes(clients, answers, run_check):
    answers.add_client_error("describe_account_subscription", "AccessDeniedException", "not authorized", 401)
    result = run_check("--account-id", ACCOUNT, "--subscription-only", stage=None)
    assert result.exit_code == EXIT_ACCESS_DENIED
    result = run_check(stage="qa")
    assert result.exit_code == EXIT_NOT_DEPLOYED
    assert "stage 'qa' is not deployed: missing" in result.stderr
    assert f"/{PROJECT}/qa/storage/curated-bucket (published by stack {PROJECT}-qa-storage)" in result.stderr


def test_the_curated_table_must_exist_with_data(clients, answers, deployed, run_check):
    """The deployed stage declares the curated table (CloudFormation); it needs partitions."""
    glue = clients.client("glue")
    table, database = FIRST.table, deployed.curated_database
    subscription(answers)
    result = run_check("--no-manifest", "--table", table)
    assert result.exit_code == EXIT_FAILED
    assert "has no partitions: run the curation job" in result.stdout
    location = f"s3://{deployed.curated_bucket}/{FIRST.curated_prefix}"
    glue.create_partition(DatabaseName=database, TableName=table, PartitionInput={
        "Values": ["2026-01-01"], "StorageDescriptor": {"Location": f"{location}{FIRST.partition}=2026-01-01/"}})
    subscription(answers)
    result = run_check("--no-manifest", "--table", table)
    assert result.exit_code == 0 and result.stdout.splitlines()[1] == f"ok: curated table {database}.{table} exists with data."
    glue.delete_table(DatabaseName=database, Name=table)
    subscription(answers)
    result = run_check("--no-manifest", "--table", table)
    assert result.exit_code == EXIT_FAILED
    assert result.stdout.splitlines()[1] == f"NOT READY: no table {database}.{table} yet: load and curate data first " \
        "(upload-sample, run-job; docs/deploying.md, 'Deployment order')."


def test_the_stacks_quicksight_builds_on_must_be_deployed(clients, answers, deployed, run_check):
    clients.client("ssm").delete_parameter(Name=f"{PARAMS}analytics/workgroup")
    result = run_check("--no-manifest")
    assert result.exit_code == EXIT_NOT_DEPLOYED
    assert f"missing {PARAMS}analytics/workgroup (published by stack {PREFIX}-analytics)" in result.stderr

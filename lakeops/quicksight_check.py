"""Pre-deploy check of a stage with QuickSight: is the account subscribed, is the S3 manifest there,
does the curated table the dataset reads exist?

CloudFormation cannot create the QuickSight account subscription, QuickSight reads the S3
data source's manifest when it creates that data source, and a SPICE dataset waits for its
first import of the curated table. `make deploy-quicksight` runs this before deploying:

    python -m lakeops --stage prod check-quicksight [--account-id ID] [--subscription-only]
        [--table TABLE ...] [--no-manifest]

The command itself is `check-quicksight` in lakeops.cli, which shares the CLI's discovery,
clients and exit codes; this module holds the checks. Without --account-id the account comes
from STS. `--print-manifest` prints the manifest to upload (docs/quicksight.md, 'The manifest').
"""
from dataclasses import dataclass

from botocore.exceptions import ClientError

from lake_config.quicksight_settings import S3_FILES_PREFIX, S3_MANIFEST_KEY
from lakeops.aws import error_code, is_access_denied
from lakeops.errors import EXIT_ACCESS_DENIED, EXIT_FAILED

# The API reference does not enumerate AccountSubscriptionStatus; these are the values
# QuickSight returns (the Terraform AWS provider waits on the same ones).
ACTIVE = {"ACCOUNT_CREATED", "OK"}
PENDING = {"SIGNUP_ATTEMPT_IN_PROGRESS"}
SETUP = "docs/quicksight.md, 'One-time account setup'"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    exit_code: int = 0

    def line(self) -> str:
        return f"{'ok' if self.ok else 'NOT READY'}: {self.message}"


def _failed(message: str, err: ClientError | None = None) -> Verdict:
    denied = err is not None and is_access_denied(err)
    return Verdict(False, message, EXIT_ACCESS_DENIED if denied else EXIT_FAILED)


def check_subscription(quicksight, account_id: str) -> Verdict:
    """The verdict of DescribeAccountSubscription for `account_id`."""
    try:
        info = quicksight.describe_account_subscription(AwsAccountId=account_id)["AccountInfo"]
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return _failed(f"QuickSight is not subscribed in account {account_id}: subscribe once ({SETUP}), then re-run this check.")
        if is_access_denied(err):
            return _failed(
                f"access denied to quicksight:DescribeAccountSubscription in account {account_id}: "
                "grant that read-only action to your identity, or run the check as an administrator.",
                err,
            )
        return _failed(f"could not check the QuickSight subscription of account {account_id}: {err}", err)
    status, edition = info.get("AccountSubscriptionStatus", "UNKNOWN"), info.get("Edition", "UNKNOWN")
    if status in PENDING:
        return _failed(
            f"the QuickSight subscription of account {account_id} is still being created ({status}): wait a few minutes and re-run."
        )
    if status not in ACTIVE:
        return _failed(f"the QuickSight subscription of account {account_id} is {status}: subscribe again ({SETUP}).")
    note = "" if edition.startswith("ENTERPRISE") else "; row-level security and hourly refresh need Enterprise edition"
    return Verdict(True, f"QuickSight account {info.get('AccountName', '?')!r} ({account_id}) is {status}, edition {edition}{note}.")


def check_manifest(s3, bucket: str, key: str = S3_MANIFEST_KEY) -> Verdict:
    """Whether the S3 data source's manifest exists at `s3://bucket/key`."""
    where = f"s3://{bucket}/{key}"
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if error_code(err) in {"404", "NoSuchKey", "NotFound"}:
            return _failed(f"no manifest at {where}: upload it before deploying (--print-manifest; docs/quicksight.md, 'The manifest').")
        if is_access_denied(err):
            return _failed(
                f"access denied reading {where}: you need s3:GetObject there "
                "(and s3:ListBucket on the bucket to tell 'missing' from 'denied').",
                err,
            )
        return _failed(f"could not read {where}: {err}", err)
    return Verdict(True, f"S3 data source manifest found at {where}.")


def check_table(glue, database: str, table: str) -> Verdict:
    """Whether the curated table a dataset reads exists and has partitions to import."""
    where = f"{database}.{table}"
    try:
        glue.get_table(DatabaseName=database, Name=table)
        partitions = glue.get_partitions(DatabaseName=database, TableName=table, MaxResults=1).get("Partitions", [])
    except ClientError as err:
        if error_code(err) == "EntityNotFoundException":
            return _failed(f"no table {where} yet: load and curate data first (upload-sample, run-job; docs/deploying.md, 'Deployment order').")
        if is_access_denied(err):
            return _failed(f"access denied reading the Glue table {where}: you need glue:GetTable and glue:GetPartitions.", err)
        return _failed(f"could not read the Glue table {where}: {err}", err)
    if not partitions:
        return _failed(f"table {where} has no partitions: run the curation job (run-job) so the first SPICE import has data.")
    return Verdict(True, f"curated table {where} exists with data.")


def manifest(bucket: str) -> dict:
    """The manifest of the S3 data source: every CSV (with a header row) under the files prefix."""
    return {
        "fileLocations": [{"URIPrefixes": [f"s3://{bucket}/{S3_FILES_PREFIX}"]}],
        "globalUploadSettings": {"format": "CSV", "delimiter": ",", "textqualifier": '"', "containsHeader": "true"},
    }


def exit_code(verdicts: list[Verdict]) -> int:
    return max((verdict.exit_code for verdict in verdicts), default=0)


def run_checks(
    client, account_id: str | None = None, curated_bucket: str | None = None, tables: tuple[str, ...] = (), database: str | None = None
) -> list[Verdict]:
    """`client(service)` returns a boto3 client (`Lake.client`); `tables` are checked in `database`."""
    account_id = account_id or client("sts").get_caller_identity()["Account"]
    verdicts = [check_subscription(client("quicksight"), account_id)]
    if curated_bucket:
        verdicts.append(check_manifest(client("s3"), curated_bucket))
    verdicts += [check_table(client("glue"), database, table) for table in tables]
    return verdicts

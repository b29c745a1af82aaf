"""``status``: does each published resource exist, and its key facts.

Unlike the other commands it does not stop at the first missing parameter: it shows the
whole stage, so a half-deployed stage is visible at a glance.
"""

import datetime
from dataclasses import dataclass

from botocore.exceptions import ClientError

from lakeops import glue as glue_ops
from lakeops.aws import error_code, is_access_denied
from lakeops.errors import EXIT_ACCESS_DENIED, EXIT_FAILED, EXIT_NOT_DEPLOYED
from lakeops.discovery import dataset_param
from lakeops.s3data import count_objects
from lakeops.table import format_bytes

# Error codes meaning "the named resource is not there" across S3, Glue, Athena, EMR and KMS.
_NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "404", "NotFound", "EntityNotFoundException",
                    "NotFoundException", "InvalidRequestException", "NoSuchCluster", "StateMachineDoesNotExist"}


class _Absent(Exception):
    """The parameter names a resource that does not exist."""


@dataclass
class StatusRow:
    resource: str
    name: str
    exists: str  # yes / no / unknown
    details: str
    exit_code: int = 0  # what this row contributes to the command's exit code


def _bucket(counted: bool):
    def check(lake, bucket: str) -> str:
        s3 = lake.client("s3")
        s3.head_bucket(Bucket=bucket)
        if not counted:
            return ""
        count, size = count_objects(s3, bucket, "")
        return f"{count} objects, {format_bytes(size)}"
    return check


def _kms_key(lake, key_arn: str) -> str:
    return "key state " + lake.client("kms").describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"]


def _database(lake, database: str) -> str:
    glue = lake.client("glue")
    glue.get_database(Name=database)
    tables = sorted(glue_ops.table_versions(glue, database))
    listed = ", ".join(f"{table} ({glue_ops.partition_count(glue, database, table)} partitions)" for table in tables)
    return f"tables: {listed or 'none'}"


def _crawler(lake, name: str) -> str:
    crawler = lake.client("glue").get_crawler(Name=name)["Crawler"]
    last = crawler.get("LastCrawl")
    if not last:
        return f"state {crawler['State']}, never crawled"
    when = last["StartTime"].strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    error = f" ({last['ErrorMessage']})" if last.get("ErrorMessage") else ""
    return f"state {crawler['State']}, last crawl {last['Status']}{error} started {when}"


def _workgroup(lake, name: str) -> str:
    workgroup = lake.client("athena").get_work_group(WorkGroup=name).get("WorkGroup")
    if not workgroup:
        raise _Absent()
    cutoff = workgroup["Configuration"].get("BytesScannedCutoffPerQuery")
    return f"state {workgroup['State']}, bytes scanned cutoff {format_bytes(cutoff) if cutoff else 'none'}"


def _cluster(lake, cluster_id: str) -> str:
    status = lake.client("emr").describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    reason = status.get("StateChangeReason", {}).get("Message")
    return f"state {status['State']}" + (f" ({reason})" if reason else "")


# Renew the generated TLS certificate before it expires (docs/emr.md, "Renewing the TLS certificate").
RENEW_WITHIN_DAYS = 30
TLS_PARAM = "emr/tls-certificate-not-after"


class _Expiring(Exception):
    """The resource exists but needs attention (exit code 1)."""


def _tls_certificate(lake, not_after: str, now: datetime.datetime | None = None) -> str:
    expires = datetime.datetime.fromisoformat(not_after)
    days = (expires - (now or datetime.datetime.now(datetime.UTC))).days
    detail = f"self-signed, valid until {expires:%Y-%m-%d} ({days} days)"
    if days < RENEW_WITHIN_DAYS:
        raise _Expiring(f"{detail}: renew it, raise emr.tls_certificate_generation and deploy (docs/emr.md, 'Renewing the TLS certificate')")
    return detail


def _state_machine(lake, arn: str) -> str:
    described = lake.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    runs = lake.client("stepfunctions").list_executions(stateMachineArn=arn, maxResults=1)["executions"]
    last = f", last run {runs[0]['status']} ({runs[0]['name']})" if runs else ", never run"
    return f"{described['status']}{last}"


def _s3_object(lake, uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    size = lake.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"]
    return format_bytes(size)


CHECKS = [
    ("KMS key", "storage/kms-key-arn", _kms_key),
    ("raw bucket", "storage/raw-bucket", _bucket(counted=True)),
    ("curated bucket", "storage/curated-bucket", _bucket(counted=True)),
    ("athena results bucket", "storage/athena-results-bucket", _bucket(counted=False)),
    ("logs bucket", "storage/logs-bucket", _bucket(counted=False)),
    ("raw database", "catalog/raw-database", _database),
    ("curated database", "catalog/curated-database", _database),
    ("athena workgroup", "analytics/workgroup", _workgroup),
    ("EMR cluster", "emr/cluster-id", _cluster),
    ("curation script", "emr/curation-script-uri", _s3_object),
    # A prefix, not an object: EMR creates it with the first logs, so there is nothing to check yet.
    ("EMR log location", "emr/log-uri", lambda lake, uri: "published"),
    ("EMR TLS certificate", TLS_PARAM, _tls_certificate),
]
# Published only in some stages: a stage without them shows no row rather than a missing one.
OPTIONAL = {TLS_PARAM: "emr/cluster-id"}


def check_row(lake, resource: str, param: str, check) -> StatusRow:
    name = lake.resources.get(param)
    if name is None:
        return StatusRow(resource, "-", "no",
                         f"missing {lake.stage.parameter_name(param)} (stack {lake.resources.publisher(param)})",
                         EXIT_NOT_DEPLOYED)
    try:
        return StatusRow(resource, name, "yes", check(lake, name))
    except _Expiring as warning:
        return StatusRow(resource, name, "yes", str(warning), EXIT_FAILED)
    except _Absent:
        return StatusRow(resource, name, "no", "not found", EXIT_NOT_DEPLOYED)
    except ClientError as err:
        if error_code(err) in _NOT_FOUND_CODES:
            return StatusRow(resource, name, "no", f"not found ({error_code(err)})", EXIT_NOT_DEPLOYED)
        code = EXIT_ACCESS_DENIED if is_access_denied(err) else EXIT_FAILED
        return StatusRow(resource, name, "unknown", f"{err.operation_name}: {error_code(err)}", code)


def _table(lake, table: str) -> str:
    glue = lake.client("glue")
    database = lake.param("catalog/curated-database")
    glue.get_table(DatabaseName=database, Name=table)
    return f"{database}.{table}, {glue_ops.partition_count(glue, database, table)} partitions"


def dataset_checks(name: str) -> list[tuple]:
    """Per deployed dataset: its raw crawler and its declared curated table."""
    return [
        (f"{name} raw crawler", dataset_param(name, "raw-crawler"), _crawler),
        (f"{name} curated table", dataset_param(name, "curated-table"), _table),
    ]



# A transient stage has no cluster between runs: its pipeline is what there is to check.
TRANSIENT_CHECKS = [
    ("curation pipeline", "pipeline/state-machine-arn", _state_machine) if param == "emr/cluster-id" else (resource, param, check)
    for resource, param, check in CHECKS
]


def stage_status(lake) -> list[StatusRow]:
    base = TRANSIENT_CHECKS if lake.resources.get("emr/mode") == "transient" else CHECKS
    checks = base[:7] + [c for name in lake.resources.datasets() for c in dataset_checks(name)] + base[7:]
    return [
        check_row(lake, resource, param, check)
        for resource, param, check in checks
        if param not in OPTIONAL or lake.resources.get(param) is not None
    ]


def exit_code(rows: list[StatusRow]) -> int:
    """Not deployed outranks access denied, which outranks other errors."""
    codes = {row.exit_code for row in rows}
    for code in (EXIT_NOT_DEPLOYED, EXIT_ACCESS_DENIED, EXIT_FAILED):
        if code in codes:
            return code
    return 0

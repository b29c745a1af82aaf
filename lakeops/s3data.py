"""Sample data into the raw zone, and object counts for ``status``."""

import re
from dataclasses import dataclass
from pathlib import Path

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError

from lakeops.aws import error_code, is_access_denied
from lakeops.errors import AccessDeniedError, LakeOpsError, NotDeployedError

UPLOAD_PARAMS = ("storage/raw-bucket", "storage/kms-key-arn")
SALES_PREFIX = "sales/"
# The raw crawler turns these directory names into the table's dt partitions (CONTRACTS.md).
PARTITION_DIR = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")
DEFAULT_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


@dataclass
class UploadReport:
    bucket: str
    kms_key_arn: str
    objects: list[tuple[str, int]]  # (key, size in bytes)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.objects)


def sample_files(sample_dir: Path) -> list[tuple[Path, str]]:
    """(local file, raw-zone key) for each ``sales/dt=YYYY-MM-DD/*.csv`` under ``sample_dir``."""
    sales_dir = Path(sample_dir) / "sales"
    files = []
    for path in sorted(sales_dir.glob("*/*.csv")):
        partition = path.parent.name
        if not PARTITION_DIR.match(partition):
            raise LakeOpsError(f"{path.parent} is not a partition directory: expected dt=YYYY-MM-DD")
        files.append((path, f"{SALES_PREFIX}{partition}/{path.name}"))
    if not files:
        raise LakeOpsError(f"no sample data: expected {sales_dir}/dt=YYYY-MM-DD/*.csv (see --sample-dir)")
    return files


def upload_sample(lake, sample_dir: Path) -> UploadReport:
    """Uploads with boto3's managed transfer, encrypting with the lake key (SSE-KMS) explicitly
    rather than trusting the bucket default, so a key mix-up fails here and not in a query."""
    bucket, key_arn = lake.require(*UPLOAD_PARAMS)
    s3 = lake.client("s3")
    extra_args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_arn}
    report = UploadReport(bucket, key_arn, [])
    for path, key in sample_files(sample_dir):
        lake.progress(f"  uploading {path} -> s3://{bucket}/{key}")
        try:
            s3.upload_file(str(path), bucket, key, ExtraArgs=extra_args)
        except (S3UploadFailedError, ClientError) as err:
            raise _upload_error(err, lake, bucket, key, key_arn) from err
        report.objects.append((key, path.stat().st_size))
    return report


def _upload_error(err: Exception, lake, bucket: str, key: str, key_arn: str) -> LakeOpsError:
    target = f"s3://{bucket}/{key}"
    if is_access_denied(err):
        return AccessDeniedError(
            f"access denied uploading {target}: {err}\n"
            f"  Check that your identity may s3:PutObject on arn:aws:s3:::{bucket}/{SALES_PREFIX}* "
            f"(its IAM policy and the bucket policy of {bucket}) and may use the lake KMS key "
            f"{key_arn} (kms:GenerateDataKey and kms:Decrypt, allowed by the key policy)."
        )
    if error_code(err) == "NoSuchBucket":
        return NotDeployedError(
            f"bucket {bucket} (from {lake.stage.parameter_name('storage/raw-bucket')}) does not exist; "
            f"redeploy stack {lake.resources.publisher('storage/raw-bucket')}."
        )
    return LakeOpsError(f"upload to {target} failed: {err}")


def count_objects(s3, bucket: str, prefix: str) -> tuple[int, int]:
    """(object count, total bytes) under ``prefix``."""
    count = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            count += 1
            size += item["Size"]
    return count, size

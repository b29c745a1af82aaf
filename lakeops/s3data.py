"""Sample data into the raw zone, and object counts for ``status``."""

import re
from dataclasses import dataclass
from pathlib import Path

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError

from lake_config.datasets import Dataset
from lakeops.aws import error_code, is_access_denied
from lakeops.errors import AccessDeniedError, LakeOpsError, NotDeployedError

UPLOAD_PARAMS = ("storage/raw-bucket", "storage/kms-key-arn")
# The raw crawler turns these directory names into the table's dt partitions (CONTRACTS.md).
PARTITION_DIR = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")
# File names a raw format may have (the contract's servers[raw].format).
SUFFIXES = {"csv": (".csv",), "json": (".json", ".jsonl", ".ndjson"), "parquet": (".parquet",)}


@dataclass
class UploadReport:
    dataset: str
    bucket: str
    prefix: str
    kms_key_arn: str
    objects: list[tuple[str, int]]  # (key, size in bytes)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.objects)


def sample_files(dataset: Dataset) -> list[tuple[Path, str]]:
    """(local file, raw-zone key) for each ``<dataset>/sample/dt=YYYY-MM-DD/<file>`` of the dataset."""
    sample = dataset.sample_dir
    suffixes = SUFFIXES[dataset.raw_format]
    files = []
    for path in sorted(p for p in sample.glob("*/*") if p.is_file()):
        partition = path.parent.name
        if not PARTITION_DIR.match(partition):
            raise LakeOpsError(f"{path.parent} is not a partition directory: expected dt=YYYY-MM-DD")
        if not path.name.endswith(suffixes):
            raise LakeOpsError(f"{path} is not a {dataset.raw_format} file ({', '.join(suffixes)}): "
                               f"the contract of {dataset.name} declares servers[raw].format {dataset.raw_format}")
        files.append((path, f"{dataset.raw_prefix}{partition}/{path.name}"))
    if not files:
        raise LakeOpsError(f"no sample data for {dataset.name}: expected {sample}/dt=YYYY-MM-DD/*{suffixes[0]}")
    return files


def upload_sample(lake, dataset: Dataset) -> UploadReport:
    """Uploads with boto3's managed transfer, encrypting with the lake key (SSE-KMS) explicitly
    rather than trusting the bucket default, so a key mix-up fails here and not in a query."""
    files = sample_files(dataset)
    bucket, key_arn = lake.require(*UPLOAD_PARAMS)
    s3 = lake.client("s3")
    extra_args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_arn}
    report = UploadReport(dataset.name, bucket, dataset.raw_prefix, key_arn, [])
    for path, key in files:
        lake.progress(f"  uploading {path} -> s3://{bucket}/{key}")
        try:
            s3.upload_file(str(path), bucket, key, ExtraArgs=extra_args)
        except (S3UploadFailedError, ClientError) as err:
            raise _upload_error(err, lake, bucket, key, key_arn, dataset.raw_prefix) from err
        report.objects.append((key, path.stat().st_size))
    return report


def _upload_error(err: Exception, lake, bucket: str, key: str, key_arn: str, prefix: str) -> LakeOpsError:
    target = f"s3://{bucket}/{key}"
    if is_access_denied(err):
        return AccessDeniedError(
            f"access denied uploading {target}: {err}\n"
            f"  Check that your identity may s3:PutObject on arn:aws:s3:::{bucket}/{prefix}* "
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

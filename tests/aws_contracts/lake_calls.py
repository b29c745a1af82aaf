"""The AWS requests each role of the lake makes, as data, for the contract tests to evaluate.

Each `Call` is one request as S3, Glue, Athena, KMS or CloudWatch Logs authorizes it: an action,
the resources it is checked against (Glue checks a table call against the catalog, the database
and the table ARN, all three) and the request's condition keys. The lists come from how the
clients behave, not from the policies:

- EMRFS / Hadoop FileSystem (Spark's reads and writes): `getFileStatus(path)` sends HEAD for
  the key without a slash, then HEAD for `key/`, then a LIST with the prefix; a HEAD on a
  missing key answers 404 only if the caller may ListBucket the bucket (without a prefix in
  the request), else 403 (S3 User Guide, "HeadObject" permissions). `mkdirs` probes every
  parent the same way and leaves a `<dir>_$folder$` marker, deleted again when the directory
  gets a file. Writes go through a `_temporary/` or `.spark-staging-*` directory under the
  output path, multipart (authorized as s3:PutObject, aborted with s3:AbortMultipartUpload),
  and dynamic partition overwrite deletes the old files of each rewritten partition.
- The Glue Data Catalog client of Hive and Spark opens `default` first (GetDatabase, and
  CreateDatabase if it is missing), reads the table, and registers partitions in batches;
  its `add_partitions` runs `mkdirs` on each partition location, hence the bare-key HEADs.
- Glue crawlers list and read their S3 target, read and write their database's tables and
  partitions, and log to `/aws-glue/crawlers-role/<role>-<security configuration>`.
- QuickSight runs Athena queries as its role: Athena reads the Glue table and its
  partitions and lists and reads the table's S3 location with that role's credentials.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from lake_config.datasets import Dataset
from lake_config.models import LakeSettings
from tests.aws_contracts.iam_policy import ACCOUNT, PARTITION, REGION

DAY = "dt=2026-01-01/"
RUN_ID = "20260101T000000Z-0a1b2c"


@dataclass(frozen=True)
class Call:
    action: str
    resources: tuple[str, ...]
    context: Mapping[str, str] = field(default_factory=dict)
    why: str = ""


def bucket(settings: LakeSettings, zone: str) -> str:
    """The lake bucket's name as the stacks build it, rendered with the evaluator's account and region."""
    return f"{settings.prefix}-{zone}-{ACCOUNT}-{REGION}"


def s3_bucket(name: str) -> str:
    return f"arn:{PARTITION}:s3:::{name}"


def s3_key(bucket_name: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket_name}/{key}"


def glue(resource: str) -> str:
    return f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:{resource}"


def glue_table(database: str, table: str) -> tuple[str, ...]:
    return glue("catalog"), glue(f"database/{database}"), glue(f"table/{database}/{table}")


def glue_database(database: str) -> tuple[str, ...]:
    return glue("catalog"), glue(f"database/{database}")


def raw_database(settings: LakeSettings) -> str:
    return f"{settings.glue_prefix}_raw"


def curated_database(settings: LakeSettings) -> str:
    return f"{settings.glue_prefix}_curated"


def ancestors(prefix: str) -> list[str]:
    """`a/b/c/` -> ["a", "a/b"]: the directories above a prefix, which mkdirs probes."""
    parts = prefix.rstrip("/").split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _probe(bucket_name: str, path: str, why: str) -> list[Call]:
    """getFileStatus(path): HEAD of the bare key and of `key/`, then a listing of `key/`."""
    return [
        Call("s3:GetObject", (s3_key(bucket_name, path),), why=f"HEAD {path} ({why})"),
        Call("s3:GetObject", (s3_key(bucket_name, f"{path}/"),), why=f"HEAD {path}/ ({why})"),
        Call("s3:ListBucket", (s3_bucket(bucket_name),), {"s3:prefix": f"{path}/", "s3:delimiter": "/"},
             why=f"LIST {path}/ ({why})"),
    ]


def _mkdirs(bucket_name: str, prefix: str) -> list[Call]:
    """mkdirs(prefix): probe each parent and the directory, leave and later remove `_$folder$` markers."""
    calls = []
    for path in [*ancestors(prefix), prefix.rstrip("/")]:
        calls += _probe(bucket_name, path, "mkdirs")
        marker = s3_key(bucket_name, f"{path}_$folder$")
        calls += [
            Call("s3:PutObject", (marker,), why=f"EMRFS marks {path} with {path}_$folder$"),
            Call("s3:DeleteObject", (marker,), why=f"EMRFS drops {path}_$folder$ once {path}/ has files"),
        ]
    return calls


def _spark_write(bucket_name: str, prefix: str, suffix: str) -> list[Call]:
    """A DataFrame write of one partition under `prefix` (Parquet, or JSON for quarantine)."""
    final = s3_key(bucket_name, f"{prefix}{DAY}part-00000.{suffix}")
    staged = s3_key(bucket_name, f"{prefix}.spark-staging-0a1b/{DAY}part-00000.{suffix}")
    temporary = s3_key(bucket_name, f"{prefix}_temporary/0/_temporary/attempt_0/{DAY}part-00000.{suffix}")
    return [
        *_mkdirs(bucket_name, prefix),
        Call("s3:ListBucket", (s3_bucket(bucket_name),), why="HEAD of a missing key answers 404 only with ListBucket"),
        Call("s3:PutObject", (staged,), why="dynamic partition overwrite stages files"),
        Call("s3:PutObject", (temporary,), why="the committer's task attempt output"),
        Call("s3:DeleteObject", (temporary,), why="the committer cleans up _temporary"),
        Call("s3:DeleteObject", (s3_key(bucket_name, f"{prefix}{DAY}part-old.{suffix}"),),
             why="dynamic overwrite replaces the partition's old files"),
        Call("s3:PutObject", (final,), why="multipart upload of the final file (Create/UploadPart/Complete)"),
        Call("s3:AbortMultipartUpload", (final,), why="a failed task aborts its upload"),
        Call("s3:PutObject", (s3_key(bucket_name, f"{prefix}_SUCCESS"),), why="the job's success marker"),
        Call("s3:GetObject", (final,), why="HEAD/GET of the written file"),
        Call("s3:PutObject", (s3_key(bucket_name, f"{prefix}{DAY.rstrip('/')}_$folder$"),), why="partition folder marker"),
    ]


def emr_curation(settings: LakeSettings, dataset: Dataset, key_arn: str) -> list[Call]:
    """What one curation run of `dataset` asks of S3, KMS and Glue with the instance role."""
    raw, curated = bucket(settings, "raw"), bucket(settings, "curated")
    source_file = s3_key(raw, f"{dataset.raw_prefix}{DAY}part.{dataset.raw_format}")
    database, table = curated_database(settings), dataset.table
    report = f"{dataset.report_prefix}{RUN_ID}.json"
    return [
        *_probe(raw, dataset.raw_prefix.rstrip("/"), "the job's --source exists"),
        Call("s3:ListBucket", (s3_bucket(raw),), {"s3:prefix": f"{dataset.raw_prefix}{DAY}"}, why="list a raw partition"),
        Call("s3:GetObject", (source_file,), why="read a raw file"),
        *_spark_write(curated, dataset.curated_prefix, "snappy.parquet"),
        *_spark_write(curated, dataset.quarantine_prefix, "json"),
        *_mkdirs(curated, dataset.report_prefix),
        Call("s3:GetObject", (s3_key(curated, report),), why="HEAD of the report before it is created"),
        Call("s3:PutObject", (s3_key(curated, report),), why="the run's JSON report"),
        Call("kms:GenerateDataKey", (key_arn,), why="SSE-KMS writes"),
        Call("kms:Decrypt", (key_arn,), why="SSE-KMS reads, and the encrypted Data Catalog"),
        Call("kms:Encrypt", (key_arn,), why="the encrypted Data Catalog"),
        Call("glue:GetDatabase", glue_database("default"), why="Hive's Glue client opens default first"),
        Call("glue:CreateDatabase", glue_database("default"), why="and creates it once per account if missing"),
        Call("glue:GetDatabase", glue_database(database)),
        Call("glue:GetTable", glue_table(database, table)),
        Call("glue:GetPartitions", glue_table(database, table)),
        Call("glue:GetPartition", glue_table(database, table)),
        Call("glue:BatchGetPartition", glue_table(database, table)),
        Call("glue:BatchCreatePartition", glue_table(database, table), why="ALTER TABLE ADD PARTITION"),
        Call("glue:CreatePartition", glue_table(database, table)),
        Call("glue:UpdatePartition", glue_table(database, table)),
        Call("glue:BatchUpdatePartition", glue_table(database, table)),
    ]


def emr_denied(settings: LakeSettings, dataset: Dataset) -> list[Call]:
    """Requests of the same run that must fail: the raw zone is read-only, nothing beside the
    datasets' prefixes is reachable, and CloudFormation alone shapes the curated table."""
    raw, curated = bucket(settings, "raw"), bucket(settings, "curated")
    database, table = curated_database(settings), dataset.table
    sibling = dataset.raw_prefix.rstrip("/") + "_archive/"
    return [
        Call("s3:PutObject", (s3_key(raw, f"{dataset.raw_prefix}{DAY}part.csv"),), why="raw is read-only"),
        Call("s3:DeleteObject", (s3_key(raw, f"{dataset.raw_prefix}{DAY}part.csv"),), why="raw is read-only"),
        Call("s3:GetObject", (s3_key(raw, f"{sibling}{DAY}part.csv"),), why="a prefix that only starts like the dataset's"),
        Call("s3:PutObject", (s3_key(curated, f"{dataset.curated_prefix.rstrip('/')}_archive/x"),), why="a sibling prefix"),
        Call("s3:GetObject", (s3_key(curated, "quicksight/files/x.csv"),), why="QuickSight's files are not the job's"),
        Call("glue:CreateTable", glue_table(database, table), why="CloudFormation owns the curated tables"),
        Call("glue:UpdateTable", glue_table(database, table), why="the contract, not the job, sets the schema"),
        Call("glue:DeleteTable", glue_table(database, table)),
        Call("glue:DeletePartition", glue_table(database, table)),
        Call("glue:GetTable", glue_table(database, "not_a_dataset")),
        Call("glue:BatchCreatePartition", glue_table(raw_database(settings), dataset.raw_table), why="the raw zone is the crawler's"),
    ]


def raw_crawler(settings: LakeSettings, dataset: Dataset, key_arn: str, log_group: str) -> list[Call]:
    """One crawl of the dataset's raw prefix into the raw database."""
    raw = bucket(settings, "raw")
    database, table = raw_database(settings), dataset.raw_table
    logs = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{log_group}"
    return [
        Call("s3:ListBucket", (s3_bucket(raw),), {"s3:prefix": dataset.raw_prefix}),
        Call("s3:ListBucket", (s3_bucket(raw),), {"s3:prefix": f"{dataset.raw_prefix}{DAY}"}),
        Call("s3:GetObject", (s3_key(raw, f"{dataset.raw_prefix}{DAY}part.{dataset.raw_format}"),)),
        Call("kms:Decrypt", (key_arn,), why="SSE-KMS objects and the encrypted catalog"),
        Call("kms:GenerateDataKey", (key_arn,), why="writes to the encrypted catalog"),
        Call("glue:GetDatabase", glue_database(database)),
        Call("glue:GetTables", (*glue_database(database), glue(f"table/{database}/*")), why="GetTables is checked on every table"),
        Call("glue:GetTable", glue_table(database, table)),
        Call("glue:CreateTable", glue_table(database, table)),
        Call("glue:UpdateTable", glue_table(database, table)),
        Call("glue:GetPartitions", glue_table(database, table)),
        Call("glue:BatchGetPartition", glue_table(database, table)),
        Call("glue:BatchCreatePartition", glue_table(database, table)),
        Call("glue:BatchUpdatePartition", glue_table(database, table)),
        Call("logs:CreateLogGroup", (logs,)),
        Call("logs:AssociateKmsKey", (logs,), why="the security configuration encrypts the log group"),
        Call("logs:CreateLogStream", (f"{logs}:log-stream:{settings.prefix}",)),
        Call("logs:PutLogEvents", (f"{logs}:log-stream:{settings.prefix}",)),
    ]


def raw_crawler_denied(settings: LakeSettings, dataset: Dataset) -> list[Call]:
    raw, curated = bucket(settings, "raw"), bucket(settings, "curated")
    database = raw_database(settings)
    calls = [
        Call("s3:GetObject", (s3_key(curated, f"{dataset.curated_prefix}{DAY}part.parquet"),), why="only the raw zone"),
        Call("s3:PutObject", (s3_key(raw, f"{dataset.raw_prefix}{DAY}x"),), why="a crawler never writes data"),
        Call("glue:DeleteTable", glue_table(database, dataset.raw_table), why="deletions are only logged"),
        Call("glue:CreateTable", glue_table(database, "dt_2026_01_01"), why="no tables beside the dataset's"),
        Call("glue:CreateTable", glue_table(curated_database(settings), dataset.table), why="not the curated database"),
    ]
    for other in settings.datasets:
        if other.name != dataset.name:
            calls += [
                Call("s3:GetObject", (s3_key(raw, f"{other.raw_prefix}{DAY}part"),), why=f"{other.name} has its own crawler"),
                Call("s3:ListBucket", (s3_bucket(raw),), {"s3:prefix": other.raw_prefix}, why=f"{other.name}'s prefix"),
                Call("glue:UpdateTable", glue_table(database, other.raw_table), why=f"{other.name}'s table"),
            ]
    return calls


def quicksight(settings: LakeSettings, key_arn: str, workgroup: str) -> list[Call]:
    """Queries over every curated dataset through the workgroup, and the S3 files data source."""
    curated, results = bucket(settings, "curated"), bucket(settings, "athena-results")
    database = curated_database(settings)
    athena = f"arn:{PARTITION}:athena:{REGION}:{ACCOUNT}"
    calls = [
        Call(action, (f"{athena}:workgroup/{workgroup}",))
        for action in ("athena:GetWorkGroup", "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults")
    ]
    calls += [
        Call("athena:GetTableMetadata", (f"{athena}:datacatalog/AwsDataCatalog",)),
        Call("glue:GetDatabase", glue_database(database)),
        Call("s3:GetBucketLocation", (s3_bucket(results),)),
        Call("s3:ListBucket", (s3_bucket(results),), {"s3:prefix": "results/"}),
        Call("s3:PutObject", (s3_key(results, "results/0a1b.csv"),), why="Athena writes the result as the caller"),
        Call("s3:GetObject", (s3_key(results, "results/0a1b.csv"),), why="QuickSight reads it back"),
        Call("kms:Decrypt", (key_arn,)),
        Call("kms:GenerateDataKey", (key_arn,)),
        Call("s3:GetBucketLocation", (s3_bucket(curated),)),
    ]
    for dataset in settings.datasets:
        calls += [
            Call("glue:GetTable", glue_table(database, dataset.table)),
            Call("glue:GetPartitions", glue_table(database, dataset.table)),
            Call("glue:BatchGetPartition", glue_table(database, dataset.table)),
            Call("s3:ListBucket", (s3_bucket(curated),), {"s3:prefix": f"{dataset.curated_prefix}{DAY}"}),
            Call("s3:GetObject", (s3_key(curated, f"{dataset.curated_prefix}{DAY}part-00000.snappy.parquet"),)),
        ]
    if settings.quicksight.s3_source:
        calls += [
            Call("s3:GetObject", (s3_key(curated, "quicksight/manifests/files.json"),), why="the S3 data source's manifest"),
            Call("s3:GetObject", (s3_key(curated, "quicksight/files/report.csv"),), why="a file the manifest lists"),
        ]
    return calls


def quicksight_denied(settings: LakeSettings, workgroup: str) -> list[Call]:
    curated, raw = bucket(settings, "curated"), bucket(settings, "raw")
    database = curated_database(settings)
    athena = f"arn:{PARTITION}:athena:{REGION}:{ACCOUNT}"
    calls = [
        Call("athena:StartQueryExecution", (f"{athena}:workgroup/primary",), why="only the project's workgroup"),
        Call("glue:GetTable", glue_table(database, "not_a_dataset"), why="only the declared tables"),
    ]
    for dataset in settings.datasets:
        calls += [
            Call("s3:GetObject", (s3_key(curated, f"{dataset.quarantine_prefix}{DAY}part-00000.json"),), why="rejected rows"),
            Call("s3:GetObject", (s3_key(curated, f"{dataset.report_prefix}{RUN_ID}.json"),), why="run reports"),
            Call("s3:GetObject", (s3_key(raw, f"{dataset.raw_prefix}{DAY}part"),), why="the raw zone"),
            Call("s3:PutObject", (s3_key(curated, f"{dataset.curated_prefix}{DAY}x"),), why="read-only"),
        ]
    return calls

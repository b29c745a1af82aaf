"""The lake's grantors (LakeZone, LakeZones, CatalogDatabase): what each grant lets a principal do,
evaluated as AWS evaluates the policy it writes. The roles that use them are tested on the
synthesized stages (tests/stacks, tests/aws_contracts); here each grant is tested alone, on
a customer-managed policy as the roles use them, without a synth."""
import json
from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.storage.lake_zone import LakeZone, LakeZones
from tests.aws_contracts.iam_policy import ACCOUNT, PARTITION, REGION, allows, render

RAW, CURATED, LOGS = "lake-raw", "lake-curated", "lake-logs"
# A nested prefix, as a fork's contract may declare (s3://{raw-bucket}/erp/stock_levels/).
DATASET = SimpleNamespace(
    name="stock_levels",
    table="stock_levels",
    raw_prefix="erp/stock_levels/",
    curated_prefix="erp/stock_levels/",
    quarantine_prefix="quarantine/erp/stock_levels/",
    report_prefix="reports/erp/stock_levels/",
)
KEY = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/LakeKey"


def obj(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def bucket_arn(bucket: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}"


def table(name: str) -> str:
    return f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:table/lake_curated/{name}"


@pytest.fixture(scope="module")
def lake():
    """A storage stack with the lake key, and a consumer stack whose policies receive one grant each."""
    app = cdk.App()
    storage = cdk.Stack(app, "Storage")
    key = kms.Key(storage, "LakeKey")
    key_policy = lambda: json.dumps(storage.resolve(key.node.default_child.key_policy), sort_keys=True)  # noqa: E731
    key_policy_before = key_policy()
    consumer = cdk.Stack(app, "Consumer")
    zone = lambda name, key: LakeZone(s3.Bucket.from_bucket_name(consumer, name, name), key)  # noqa: E731
    zones = LakeZones(raw=zone(RAW, key), curated=zone(CURATED, key))
    logs = zone(LOGS, None)
    catalog = CatalogDatabase("lake_curated")
    role = iam.Role(consumer, "Role", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    grants = {
        "read_raw": lambda p: zones.grant_read_raw(p, [DATASET]),
        "read_raw_hadoop": lambda p: zones.grant_read_raw(p, [DATASET], hadoop=True),
        "read_curated": lambda p: zones.grant_read_curated(p, [DATASET]),
        "curate": lambda p: zones.grant_curate(p, [DATASET]),
        "logs": lambda p: logs.grant_append(p, "emr/"),
        "tables": lambda p: catalog.grant_read(p, ["stock_levels"]),
        "browse": lambda p: catalog.grant_read(p, ["stock_levels"], browse=True),
        "partitions": lambda p: catalog.grant_write_partitions(p, ["stock_levels"]),
    }
    # The consumer's policies name the key by its Arn attribute; AWS would see KEY.
    names = {f"{storage.resolve(storage.get_logical_id(key.node.default_child))}.Arn": KEY}
    policies, results = {}, {}
    for name, grant in grants.items():
        policy = iam.ManagedPolicy(consumer, name, roles=[role])
        results[name] = grant(policy)
        document = consumer.resolve(policy.document.to_json())
        policies[name] = [render(document, {}, names=names)]
    return SimpleNamespace(
        policies=policies,
        results=results,
        role=role,
        key_policy_changed=key_policy() != key_policy_before,
    )


def test_grants_land_in_the_customer_managed_policy_not_in_an_inline_one(lake):
    """Each grant writes into the policy it is given (three nag packs reject inline policies,
    which a grant to the role itself would create as its DefaultPolicy)."""
    assert all(result.success for result in lake.results.values())
    assert lake.role.node.try_find_child("DefaultPolicy") is None


def test_the_key_grants_stay_on_the_grantee_side(lake):
    """The lake key's own policy gains no statement for a role of another stack of the same
    account: the grants are identity-policy statements only (the key trusts the account's IAM)."""
    assert not lake.key_policy_changed


def test_a_reader_that_is_not_hadoop_lists_only_under_the_dataset_prefix(lake):
    """ListBucket limited with the s3:prefix condition key (Amazon S3 User Guide, "Identity-based
    policy examples for Amazon S3": allowing access to a folder), GetObject under the prefix only."""
    policies = lake.policies["read_raw"]
    assert allows(policies, "s3:ListBucket", bucket_arn(RAW), {"s3:prefix": "erp/stock_levels/date=2024-01-01/"})
    assert not allows(policies, "s3:ListBucket", bucket_arn(RAW), {"s3:prefix": "erp/"})
    assert not allows(policies, "s3:ListBucket", bucket_arn(RAW))
    assert allows(policies, "s3:GetObject", obj(RAW, "erp/stock_levels/date=2024-01-01/part-0.csv"))
    assert not allows(policies, "s3:GetObject", obj(RAW, "erp/stock_levels_old/part-0.csv"))
    assert not allows(policies, "s3:GetObject", obj(CURATED, "erp/stock_levels/part-0.parquet"))
    assert not allows(policies, "s3:PutObject", obj(RAW, "erp/stock_levels/x"))
    assert allows(policies, "kms:Decrypt", KEY)
    assert not allows(policies, "kms:GenerateDataKey", KEY)


def test_a_hadoop_reader_lists_the_bucket_and_heads_the_folders(lake):
    """S3 answers a HEAD of a missing key with 404 only to a caller with s3:ListBucket, else 403
    (Amazon S3 API Reference, HeadObject, "Permissions"), and HEAD is authorized as GetObject on
    the exact key: EMRFS and S3A HEAD the folder's own key, so it is granted with its parents."""
    policies = lake.policies["read_raw_hadoop"]
    assert allows(policies, "s3:ListBucket", bucket_arn(RAW))
    for probed in ("erp", "erp/", "erp/stock_levels", "erp/stock_levels/"):
        assert allows(policies, "s3:GetObject", obj(RAW, probed)), probed
    assert not allows(policies, "s3:GetObject", obj(RAW, "erp/other/part-0.csv"))
    assert not allows(policies, "s3:PutObject", obj(RAW, "erp/stock_levels/x"))


def test_reading_curated_data_reaches_neither_the_quarantine_nor_the_reports(lake):
    policies = lake.policies["read_curated"]
    assert allows(policies, "s3:GetObject", obj(CURATED, "erp/stock_levels/date=2024-01-01/part-0.parquet"))
    for other in ("quarantine/erp/stock_levels/part-0.parquet", "reports/erp/stock_levels/run.json"):
        assert not allows(policies, "s3:GetObject", obj(CURATED, other)), other


def test_curating_writes_the_three_prefixes_of_the_dataset_and_nothing_of_the_raw_zone(lake):
    policies = lake.policies["curate"]
    for prefix in (DATASET.curated_prefix, DATASET.quarantine_prefix, DATASET.report_prefix):
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:GetObject", "s3:AbortMultipartUpload"):
            assert allows(policies, action, obj(CURATED, f"{prefix}part-0")), (action, prefix)
    # EMRFS's folder markers of the prefix and its parents, and nothing beside them.
    assert allows(policies, "s3:PutObject", obj(CURATED, "erp/stock_levels_$folder$"))
    assert allows(policies, "s3:PutObject", obj(CURATED, "erp_$folder$"))
    assert not allows(policies, "s3:PutObject", obj(CURATED, "erp/other/part-0"))
    assert not allows(policies, "s3:PutObject", obj(CURATED, "erp/stock_levels"))
    assert not allows(policies, "s3:PutObject", obj(RAW, "erp/stock_levels/part-0"))
    assert not allows(policies, "s3:GetObject", obj(RAW, "erp/stock_levels/part-0"))
    assert allows(policies, "kms:GenerateDataKey", KEY)


def test_a_log_writer_puts_under_its_prefix_and_reads_nothing(lake):
    policies = lake.policies["logs"]
    assert allows(policies, "s3:PutObject", obj(LOGS, "emr/j-1/steps/s-1/stderr.gz"))
    assert not allows(policies, "s3:PutObject", obj(LOGS, "s3-access/raw/x"))
    assert not allows(policies, "s3:GetObject", obj(LOGS, "emr/j-1/steps/s-1/stderr.gz"))
    assert not any(allows(policies, action, KEY) for action in ("kms:Decrypt", "kms:GenerateDataKey"))


def test_table_readers_read_their_tables_and_writers_only_add_partitions(lake):
    """Glue authorizes a table call against the catalog, the database and the table (AWS Glue
    Developer Guide, "Specifying AWS Glue resource ARNs")."""
    catalog = f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:catalog"
    database = f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}:database/lake_curated"
    read, browse, write = (lake.policies[name] for name in ("tables", "browse", "partitions"))
    for resource in (catalog, database, table("stock_levels")):
        assert allows(read, "glue:GetTable", resource)
        assert allows(write, "glue:BatchCreatePartition", resource)
    assert not allows(read, "glue:GetTable", table("sales"))
    assert not allows(read, "glue:GetTables", database)
    assert allows(browse, "glue:GetTables", database)
    for change in ("glue:UpdateTable", "glue:CreateTable", "glue:DeleteTable", "glue:DeletePartition"):
        assert not allows(write, change, table("stock_levels")), change

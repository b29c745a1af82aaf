"""Pins the logical IDs of everything that holds data.

A refactor that renames a construct path changes the logical ID, and CloudFormation then
creates a new bucket, key or database and deletes (or orphans) the old one. If this test
fails, the change would replace data: keep the old ID (for example with
`node.default_child.override_logical_id`) instead of updating this list.
"""
from stacks.catalog_stack import construct_id

STATEFUL_TYPES = ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Glue::Database")
# A curated table holds the partitions the job registered: one fixed ID per dataset.
CURATED_TABLE = "AWS::Glue::Table"

PINNED = {
    "storage": {
        "LakeKey09476F72": "AWS::KMS::Key",
        "LogsBucket074AC6F9": "AWS::S3::Bucket",
        "RawBucketF4E29A3F": "AWS::S3::Bucket",
        "CuratedBucket226458B4": "AWS::S3::Bucket",
        "AthenaResultsBucketC7AF1B5F": "AWS::S3::Bucket",
    },
    "catalog": {
        "RawDatabase": "AWS::Glue::Database",
        "CuratedDatabase": "AWS::Glue::Database",
    },
    # Holds only the generated TLS zip; pinned so a rename cannot strand a private key.
    "emr": {"ArtifactsBucket454C14F5": "AWS::S3::Bucket"},
}


def test_stateful_logical_ids_are_pinned(lake):
    for stack in lake.stacks:
        resources = lake.template_json(stack)["Resources"]
        types = (*STATEFUL_TYPES, CURATED_TABLE) if stack == "catalog" else STATEFUL_TYPES
        stateful = {logical_id: r["Type"] for logical_id, r in resources.items() if r["Type"] in types}
        expected = PINNED.get(stack, {})
        if stack == "catalog":
            expected = expected | {f"{construct_id(d.name)}CuratedTable": CURATED_TABLE for d in lake.settings.datasets}
        assert stateful == expected, f"stateful resources of {stack} changed"


def test_the_shipped_datasets_keep_the_ids_they_have():
    assert [construct_id(name) for name in ("sales", "clickstream", "stock_levels")] == ["Sales", "Clickstream", "StockLevels"]

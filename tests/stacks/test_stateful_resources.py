"""Pins the logical IDs of everything that holds data.

A refactor that renames a construct path changes the logical ID, and CloudFormation then
creates a new bucket, key or database and deletes (or orphans) the old one. If this test
fails, the change would replace data: keep the old ID (for example with
`node.default_child.override_logical_id`) instead of updating this list.
"""
STATEFUL_TYPES = ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Glue::Database")

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


def test_stateful_logical_ids_are_pinned(stage):
    for stack in stage.stacks:
        resources = stage.template_json(stack)["Resources"]
        stateful = {logical_id: r["Type"] for logical_id, r in resources.items() if r["Type"] in STATEFUL_TYPES}
        assert stateful == PINNED.get(stack, {}), f"stateful resources of {stack} changed"

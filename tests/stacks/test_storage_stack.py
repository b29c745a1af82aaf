"""Every documented control of the storage stack, read from the synthesized template."""
import re

import pytest
from aws_cdk.assertions import Match

BUCKETS = ("RawBucket", "CuratedBucket", "AthenaResultsBucket", "LogsBucket")
KMS_BUCKETS = ("RawBucket", "CuratedBucket", "AthenaResultsBucket")


def bucket(synth, name: str) -> dict:
    resources = synth.template_json("storage")["Resources"]
    (found,) = [r for logical_id, r in resources.items() if re.fullmatch(f"{name}[0-9A-F]{{8}}", logical_id)]
    return found


def test_one_key_with_rotation(stage):
    template = stage.template("storage")
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": f"alias/{stage.settings.prefix}-lake"})


def test_four_buckets_named_by_stage(stage):
    stage.template("storage").resource_count_is("AWS::S3::Bucket", 4)
    for name, zone in zip(BUCKETS, ("raw", "curated", "athena-results", "logs")):
        assert bucket(stage, name)["Properties"]["BucketName"] == {
            "Fn::Join": ["", [f"{stage.settings.prefix}-{zone}-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]
        }


@pytest.mark.parametrize("name", BUCKETS)
def test_private_versioned_owner_enforced(stage, name):
    props = bucket(stage, name)["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in props


@pytest.mark.parametrize("name", BUCKETS)
def test_tls_enforced_on_bucket_and_objects(stage, name):
    policies = stage.template("storage").find_resources("AWS::S3::BucketPolicy")
    (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(f"{name}Policy")]
    deny = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Action"] == "s3:*" and len(deny[0]["Resource"]) == 2  # the bucket and its objects


@pytest.mark.parametrize("name", KMS_BUCKETS)
def test_sse_kms_with_lake_key_and_bucket_key(stage, name):
    (rule,) = bucket(stage, name)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is True
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0].startswith("LakeKey")


def test_access_log_bucket_uses_sse_s3_as_log_delivery_requires(stage):
    (rule,) = bucket(stage, "LogsBucket")["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("name", KMS_BUCKETS)
def test_server_access_logging_to_logs_bucket(stage, name):
    logging = bucket(stage, name)["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"]["Ref"].startswith("LogsBucket")
    assert logging["LogFilePrefix"].startswith("s3-access/")


def lifecycle(synth, name: str) -> dict:
    return {rule["Id"]: rule for rule in bucket(synth, name)["Properties"]["LifecycleConfiguration"]["Rules"]}


@pytest.mark.parametrize("name", BUCKETS)
def test_noncurrent_versions_and_stray_uploads_expire(stage, name):
    days = stage.settings.storage
    rule = lifecycle(stage, name)["expire-noncurrent-versions-and-stray-uploads"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": days.noncurrent_version_expiration_days}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": days.abort_incomplete_multipart_upload_days}


def test_lifecycle_tiers_and_expiry_follow_settings(stage):
    days = stage.settings.storage
    assert lifecycle(stage, "RawBucket")["tier-raw-data"]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": days.raw_infrequent_access_days},
        {"StorageClass": "GLACIER_IR", "TransitionInDays": days.raw_glacier_ir_days},
    ]
    assert lifecycle(stage, "CuratedBucket")["tier-curated-data"]["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": days.curated_intelligent_tiering_days}
    ]
    assert lifecycle(stage, "AthenaResultsBucket")["expire-query-results"]["ExpirationInDays"] == days.athena_results_expiration_days
    assert lifecycle(stage, "LogsBucket")["expire-logs"]["ExpirationInDays"] == days.access_logs_expiration_days


def test_prod_retains_buckets_and_key(prod):
    template = prod.template("storage")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in template.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    template.has_resource_properties("AWS::KMS::Key", {"PendingWindowInDays": 30})


def test_dev_destroys_its_data_with_the_stack(dev):
    template = dev.template("storage")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in template.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Delete"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 4)


def test_cloudwatch_logs_may_use_the_key_only_for_this_accounts_log_groups(stage):
    stage.template("storage").has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
                                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match.any_value()}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_logs_bucket_accepts_access_logs_of_the_emr_artifacts_bucket_only_from_it(stage):
    (policy,) = [p for logical_id, p in stage.template("storage").find_resources("AWS::S3::BucketPolicy").items() if logical_id.startswith("LogsBucketPolicy")]
    (grant,) = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and "emr-artifacts" in str(s.get("Condition", {}).get("ArnLike", ""))
    ]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"} and grant["Action"] == "s3:PutObject"
    assert str(grant["Resource"]).endswith("/s3-access/emr-artifacts/*']]}")
    assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}

"""An S3 bucket with the lake's non-negotiable controls."""
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import framework_rule_ids

REPLICATION_RULES = framework_rule_ids("S3BucketReplicationEnabled")


class SecureBucket(Construct):
    """A bucket that is private, TLS-only, versioned, owner-enforced and encrypted.

    Secures: public access (all four block flags), plaintext transport (a bucket policy
    denies `aws:SecureTransport=false`), ACL surprises (`BucketOwnerEnforced`), silent
    overwrites and deletes (versioning, with noncurrent versions expiring after
    `noncurrent_version_expiration_days`), data at rest (SSE-KMS with a bucket key when
    `encryption_key` is given; SSE-S3 otherwise), and stray multipart uploads.

    `retain=True` keeps the bucket when its stack is deleted; `retain=False` empties and
    deletes it (for throw-away stages only).

    Cross-region replication is not configured: it doubles storage cost. The reason the
    compliance packs' replication rules do not apply is given per bucket in
    `replication_not_needed_because`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str,
        retain: bool,
        replication_not_needed_because: str,
        noncurrent_version_expiration_days: int,
        abort_incomplete_multipart_upload_days: int,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_logs_prefix: str | None = None,
        lifecycle_rules: list[s3.LifecycleRule] = (),
    ) -> None:
        super().__init__(scope, id)
        encryption = (
            dict(encryption=s3.BucketEncryption.KMS, encryption_key=encryption_key, bucket_key_enabled=True)
            if encryption_key
            else dict(encryption=s3.BucketEncryption.S3_MANAGED)
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=access_logs_prefix,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions-and-stray-uploads",
                    noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days),
                    abort_incomplete_multipart_upload_after=Duration.days(abort_incomplete_multipart_upload_days),
                    expired_object_delete_marker=True,
                ),
                *lifecycle_rules,
            ],
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
            **encryption,
        )
        Validations.of(self.bucket).acknowledge(
            *(Acknowledgment(id=rule, reason=replication_not_needed_because) for rule in REPLICATION_RULES)
        )

"""The lake's storage: one KMS key and the raw, curated, Athena-results and log buckets."""
from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import framework_rule_ids
from lake_config import LakeSettings
from lake_config.names import BUCKET_ZONES, bucket_name
from lake_constructs.shared.arns import pseudo_parameters, regional_arn
from lake_constructs.shared.discovery_parameters import Discovery
from lake_constructs.storage.lake_zone import LakeZone, LakeZones
from lake_constructs.storage.secure_bucket import SecureBucket


def lake_bucket_name(settings: LakeSettings, zone: str) -> str:
    """Deterministic, so other stacks import buckets by name instead of exporting them.

    Only the zones lake_config.names knows: their full length is checked at synth."""
    if zone not in BUCKET_ZONES:
        raise ValueError(f"unknown bucket zone {zone!r}: add it to lake_config.names.BUCKET_ZONES")
    _, region, account = pseudo_parameters()
    return bucket_name(settings.project, settings.stage, zone, account, region)


def import_lake_bucket(scope: Construct, settings: LakeSettings, zone: str) -> s3.IBucket:
    """A lake bucket of another stack, by its name: no cross-stack export to lock it in place.
    Imported once per scope, however often asked for."""
    id = f"{zone}-bucket"
    return scope.node.try_find_child(id) or s3.Bucket.from_bucket_name(scope, id, lake_bucket_name(settings, zone))


def lake_zones(scope: Construct, settings: LakeSettings, key: kms.IKey) -> LakeZones:
    """The raw and curated zones as `scope`'s grantor: their buckets imported by name, the lake key."""
    return LakeZones(
        raw=LakeZone(import_lake_bucket(scope, settings, "raw"), key),
        curated=LakeZone(import_lake_bucket(scope, settings, "curated"), key),
    )


def logs_zone(scope: Construct, settings: LakeSettings) -> LakeZone:
    """The logs bucket (SSE-S3, no key: S3 access logs deliver only there) as `scope`'s grantor."""
    return LakeZone(import_lake_bucket(scope, settings, "logs"), None)


class StorageStack(Stack):
    """Holds everything that holds data, so it can be retained and protected on its own.

    Lifecycle (days come from `stages.<stage>.storage` in cdk.json; dev / prod):
    - raw: STANDARD -> STANDARD_IA after `raw_infrequent_access_days` (30 / 30) ->
      GLACIER_IR after `raw_glacier_ir_days` (90 / 180). Raw data is re-read rarely once curated.
    - curated: INTELLIGENT_TIERING after `curated_intelligent_tiering_days` (30 / 30):
      query patterns vary, so let S3 pick the tier.
    - Athena results: expire after `athena_results_expiration_days` (7 / 30); a result is
      re-creatable by re-running its query.
    - logs: expire after `access_logs_expiration_days` (90 / 365).
    - every bucket: noncurrent versions expire after `noncurrent_version_expiration_days`
      (7 / 90); incomplete multipart uploads abort after
      `abort_incomplete_multipart_upload_days` (1 / 7).
    """

    def __init__(self, scope: Construct, id: str, *, settings: LakeSettings, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        lifecycle = settings.storage
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        self.key = kms.Key(
            self,
            "LakeKey",
            alias=f"alias/{settings.prefix}-lake",
            description=f"Encrypts the {settings.prefix} data lake: S3 zones, Athena results, Glue catalog, EMR.",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if settings.retain_data else 7),
            removal_policy=removal,
        )
        # Glue crawler logs and VPC flow logs are encrypted with this key by CloudWatch Logs,
        # which acts as its own service principal, limited to this account's log groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": regional_arn("logs", "*")
                    }
                },
            )
        )

        common = dict(
            retain=settings.retain_data,
            noncurrent_version_expiration_days=lifecycle.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=lifecycle.abort_incomplete_multipart_upload_days,
        )
        logs = SecureBucket(
            self,
            "LogsBucket",
            bucket_name=lake_bucket_name(settings, "logs"),
            # S3 server access logging delivers only to SSE-S3 buckets, so no KMS key here.
            encryption_key=None,
            replication_not_needed_because=(
                "Logs bucket: access and EMR logs are operational records kept "
                f"{lifecycle.access_logs_expiration_days} days; a replica would double their cost "
                "without protecting any lake data."
            ),
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(lifecycle.access_logs_expiration_days))
            ],
            **common,
        )
        self.logs_bucket = logs.bucket
        sse_s3_only = (
            "Logs bucket: S3 server access logging can only deliver to a bucket encrypted "
            "with SSE-S3 (AES256); SSE-KMS would drop the access logs."
        )
        no_self_logging = "Logs bucket: it is the access-log target itself; logging it into itself would loop."
        Validations.of(self.logs_bucket).acknowledge(
            *(Acknowledgment(id=rule, reason=sse_s3_only) for rule in framework_rule_ids("S3DefaultEncryptionKMS")),
            *(
                Acknowledgment(id=rule, reason=no_self_logging)
                for rule in ("AwsSolutions-S1", *framework_rule_ids("S3BucketLoggingEnabled"))
            ),
        )

        # The EMR stack's artifacts bucket logs here too; CDK can only add this grant for
        # buckets in this stack, so it is written out for that one.
        self.logs_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.logs_bucket.arn_for_objects("s3-access/emr-artifacts/*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:s3:::{lake_bucket_name(settings, 'emr-artifacts')}"},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )

        def lake_bucket(id: str, zone: str, replication_reason: str, rules: list[s3.LifecycleRule]) -> s3.Bucket:
            return SecureBucket(
                self,
                id,
                bucket_name=lake_bucket_name(settings, zone),
                encryption_key=self.key,
                access_logs_bucket=self.logs_bucket,
                access_logs_prefix=f"s3-access/{zone}/",
                replication_not_needed_because=replication_reason,
                lifecycle_rules=rules,
                **common,
            ).bucket

        self.raw_bucket = lake_bucket(
            "RawBucket",
            "raw",
            "Raw zone: versioning, a retained bucket in prod and the KMS key protect it in-region; "
            "cross-region replication is a disaster-recovery choice left to the deployer because it "
            "doubles storage cost.",
            [
                s3.LifecycleRule(
                    id="tier-raw-data",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(lifecycle.raw_infrequent_access_days),
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(lifecycle.raw_glacier_ir_days),
                        ),
                    ],
                )
            ],
        )
        self.curated_bucket = lake_bucket(
            "CuratedBucket",
            "curated",
            "Curated zone: every object is derived from the raw zone by the curation job and can be "
            "rebuilt from it, so a replica adds cost without adding recoverability.",
            [
                s3.LifecycleRule(
                    id="tier-curated-data",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                            transition_after=Duration.days(lifecycle.curated_intelligent_tiering_days),
                        )
                    ],
                )
            ],
        )
        self.athena_results_bucket = lake_bucket(
            "AthenaResultsBucket",
            "athena-results",
            "Athena results: re-creatable by re-running the query and expired after "
            f"{lifecycle.athena_results_expiration_days} days, so there is nothing to replicate.",
            [
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=Duration.days(lifecycle.athena_results_expiration_days),
                )
            ],
        )

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="storage")
        discovery.publish("kms-key-arn", self.key.key_arn, "ARN of the lake's KMS key")
        discovery.publish("raw-bucket", self.raw_bucket.bucket_name, "Raw zone bucket")
        discovery.publish("curated-bucket", self.curated_bucket.bucket_name, "Curated zone bucket")
        discovery.publish("athena-results-bucket", self.athena_results_bucket.bucket_name, "Athena results bucket")
        discovery.publish("logs-bucket", self.logs_bucket.bucket_name, "Access-log and EMR-log bucket")

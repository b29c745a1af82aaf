"""An Athena workgroup whose settings users cannot override."""
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

ENGINE_VERSION = "Athena engine version 3"


class EnforcedWorkgroup(Construct):
    """Every query in this workgroup is encrypted, capped and measured.

    Secures: results land only in `results_bucket/results_prefix`, SSE-KMS with `key`
    (clients cannot pick another location or turn encryption off: the configuration is
    enforced); a query that would scan more than `bytes_scanned_cutoff_mb` is cancelled,
    so a missing partition filter cannot run up a bill; CloudWatch metrics are published
    for cost and performance dashboards. `force_destroy` lets the stack delete a workgroup
    that still has query history (throw-away stages only).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        results_bucket: s3.IBucket,
        key: kms.IKey,
        bytes_scanned_cutoff_mb: int,
        results_prefix: str = "results/",
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.output_location = f"s3://{results_bucket.bucket_name}/{results_prefix}"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description="Enforced, KMS-encrypted, cost-capped workgroup of the data lake.",
            state="ENABLED",
            recursive_delete_option=force_destroy,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ENGINE_VERSION),
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff_mb * 1024 * 1024,
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.output_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        self.name = self.workgroup.ref

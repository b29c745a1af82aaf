"""A Glue Data Quality ruleset on a curated table, and the role its evaluation runs as."""
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config.datasets import Dataset
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.catalog.data_quality_rules import dqdl
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.s3_prefixes import keys_under
from lake_constructs.storage.lake_zone import LakeZone

# Where Glue Data Quality publishes a run's CloudWatch metrics.
METRICS_NAMESPACE = "Glue Data Quality"
from lake_constructs.shared.service_principals import account_scoped_service


class DataQualityRuleset(Construct):
    """The dataset's contract rules as DQDL on `database.<table>` (see data_quality_rules.py).

    Secures: an evaluation (`lakeops data-quality`) runs as a role only Glue can assume, for
    this account only, that reads exactly this table, its partitions and its curated prefix,
    decrypts with the lake key, publishes results for this ruleset alone and CloudWatch metrics
    in Glue Data Quality's namespace only; it writes no data. The ruleset itself holds no data.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        ruleset_name: str,
        dataset: Dataset,
        database_name: str,
        curated_bucket: s3.IBucket,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, id)
        self.ruleset_name = ruleset_name
        self.ruleset = glue.CfnDataQualityRuleset(
            self,
            "Ruleset",
            name=ruleset_name,
            description=f"Contract rules of dataset {dataset.name} (datasets/{dataset.name}/contract.odcs.yaml).",
            ruleset=dqdl(dataset),
            target_table=glue.CfnDataQualityRuleset.DataQualityTargetTableProperty(
                database_name=database_name, table_name=dataset.table
            ),
        )

        objects = keys_under(curated_bucket, dataset.curated_prefix)
        log_groups = regional_arn("logs", "log-group:/aws-glue/data-quality*")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=account_scoped_service("glue.amazonaws.com"),
            description=f"Glue Data Quality evaluations of dataset {dataset.name}: read its curated table only.",
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["glue:GetDataQualityRuleset", "glue:PublishDataQuality"],
                    resources=[regional_arn("glue", f"dataQualityRuleset/{ruleset_name}")],
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_groups, f"{log_groups}:*"],
                ),
                # The pipeline runs evaluations with CloudWatch metrics on; Glue publishes them as
                # this role, in its namespace only (Glue Developer Guide, "Configure IAM
                # permissions for AWS Glue Data Quality"). PutMetricData has no resource ARN.
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
                ),
            ],
        )
        CatalogDatabase(database_name).grant_read(policy, [dataset.table])
        LakeZone(curated_bucket, key).grant_read(policy, [dataset.curated_prefix])
        key.grant(policy, "kms:GenerateDataKey")
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, objects),
                reason=f"A Data Quality evaluation of {dataset.name} reads every Parquet file of its table under "
                f"{dataset.curated_prefix}; the curation job names them per run.",
            ),
            Acknowledgment(
                id=iam5_resource(self, log_groups),
                reason="Glue names the log groups of Data Quality runs under /aws-glue/data-quality; the rest is Glue's.",
            ),
            Acknowledgment(
                id=iam5_resource(self, f"{log_groups}:*"),
                reason="Log streams inside the Data Quality log groups are named per run by Glue.",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the "
                f"'{METRICS_NAMESPACE}' namespace (cloudwatch:namespace), where Glue publishes the run's metrics.",
            ),
        )

"""A Glue crawler over one dataset's prefix, with a role that can read only that prefix and
write only that dataset's table."""
import json

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.s3_prefixes import keys_under
from lake_constructs.storage.lake_zone import LakeZone

# Spark and Hadoop leave markers and scratch files next to the data; a crawler that
# reads them invents tables and columns.
CRAWLER_EXCLUSIONS = ["**/_SUCCESS", "**/*.crc", "**/_temporary/**", "**/.spark-staging*/**", "**_$folder$"]


class ZoneCrawler(Construct):
    """Catalogs `s3://<bucket>/<prefix>` into `database.<table>` on a schedule.

    Secures: the role reads only the dataset's prefix and creates or updates only its one table
    and that table's partitions (customer-managed policy: no AWS-managed `AWSGlueServiceRole`,
    no inline policy; Glue names the table after the prefix's last folder, so a crawl that
    would split the data into other tables is refused instead of cluttering the database);
    logs go to CloudWatch encrypted by `security_configuration`.
    Schema changes update the table in place and deletions are only logged, so a missing
    folder never drops a table users query. `incremental=True` crawls only new folders
    (new date partitions), which keeps a daily crawl cheap; Glue then requires the
    schema-change policy to be log-only.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        crawler_name: str,
        bucket: s3.IBucket,
        prefix: str,
        database_name: str,
        table_name: str,
        key: kms.IKey,
        security_configuration: str,
        schedule: str,
        incremental: bool,
        classifiers: list[str] = (),
    ) -> None:
        super().__init__(scope, id)
        log_groups = regional_arn("logs", "log-group:/aws-glue/crawlers*")
        objects = keys_under(bucket, prefix)
        tables = regional_arn("glue", f"table/{database_name}/*")
        table = regional_arn("glue", f"table/{database_name}/{table_name}")

        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                # GetTables is authorized against every table of the database (Glue: "Specifying
                # resource ARNs"); it returns definitions only, never data.
                iam.PolicyStatement(
                    actions=["glue:GetDatabase", "glue:GetTables"],
                    resources=[regional_arn("glue", "catalog"), regional_arn("glue", f"database/{database_name}"), tables],
                ),
                iam.PolicyStatement(
                    actions=[
                        "glue:GetDatabase",
                        "glue:GetTable",
                        "glue:CreateTable",
                        "glue:UpdateTable",
                        "glue:GetPartition",
                        "glue:GetPartitions",
                        "glue:BatchGetPartition",
                        "glue:CreatePartition",
                        "glue:BatchCreatePartition",
                        "glue:UpdatePartition",
                        "glue:BatchUpdatePartition",
                    ],
                    resources=[regional_arn("glue", "catalog"), regional_arn("glue", f"database/{database_name}"), table],
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
                    resources=[f"{log_groups}", f"{log_groups}:*"],
                ),
            ],
        )
        LakeZone(bucket, key).grant_read(policy, [prefix])
        # The rest of what the crawler does with the lake key: its security configuration encrypts with it.
        key.grant(policy, "kms:Encrypt", "kms:GenerateDataKey")
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, objects),
                reason=f"Crawler {crawler_name} must read every object under s3://.../{prefix} (one folder per date), "
                "whose keys are not known in advance.",
            ),
            Acknowledgment(
                id=iam5_resource(self, tables),
                reason=f"Crawler {crawler_name} lists the table definitions of {database_name} (glue:GetTables and "
                "GetDatabase only, which Glue authorizes against every table); it writes only its own table.",
            ),
            Acknowledgment(
                id=iam5_resource(self, log_groups),
                reason="Glue names the crawler log group after the role and security configuration (/aws-glue/crawlers-role/...); the prefix is fixed by Glue.",
            ),
            Acknowledgment(
                id=iam5_resource(self, f"{log_groups}:*"),
                reason="Log streams inside the Glue crawler log groups are named per run by Glue.",
            ),
        )

        schema_change = (
            glue.CfnCrawler.SchemaChangePolicyProperty(update_behavior="LOG", delete_behavior="LOG")
            if incremental
            else glue.CfnCrawler.SchemaChangePolicyProperty(update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG")
        )
        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            name=crawler_name,
            role=self.role.role_arn,
            database_name=database_name,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(path=f"s3://{bucket.bucket_name}/{prefix}", exclusions=CRAWLER_EXCLUSIONS)
                ]
            ),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression=schedule),
            schema_change_policy=schema_change,
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(
                recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY" if incremental else "CRAWL_EVERYTHING"
            ),
            crawler_security_configuration=security_configuration,
            classifiers=list(classifiers) or None,
            configuration=json.dumps(
                {
                    "Version": 1.0,
                    # Glue creates partition indexes by default, which an encrypted Data Catalog does not support.
                    "CreatePartitionIndex": False,
                    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                }
            ),
        )
        self.crawler.node.add_dependency(policy)
        self.crawler_name = crawler_name

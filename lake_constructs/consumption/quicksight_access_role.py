"""The role QuickSight assumes to query the lake, instead of its account-wide service role."""
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config.datasets import Dataset
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.s3_prefixes import keys_under
from lake_constructs.shared.service_principals import account_scoped_service
from lake_constructs.storage.lake_zone import LakeZone

ATHENA_CATALOG = "AwsDataCatalog"
# Where QuickSight's own objects live in the curated bucket (manifest, files, row-level rules).
QUICKSIGHT_PREFIX = "quicksight/"
# Athena offers no resource-level permissions for these two; both only list names.
ATHENA_LIST_ACTIONS = ["athena:ListDataCatalogs", "athena:ListWorkGroups"]


class QuickSightAccessRole(Construct):
    """What a QuickSight data source may touch when it runs a query or reads a file.

    Secures: only `quicksight.amazonaws.com`, acting for this account (`aws:SourceAccount`),
    can assume the role. Queries run only in the project's workgroup (whose enforced
    configuration already fixes the result location, the encryption and the scan cap);
    Glue reads only the datasets' curated tables (and `extra_tables`, the row-level rules);
    S3 reads only their curated prefixes (not quarantine, not run reports) and `quicksight/`,
    and reads and writes only the workgroup's result prefix; the lake key only decrypts and makes data
    keys. One customer-managed policy: no AWS-managed `AWSQuicksightAthenaAccess` (Athena on
    every workgroup) and no inline policy (three nag packs reject those). `results_location` is the workgroup's
    enforced output location, `s3://<bucket>/<prefix>`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workgroup_name: str,
        results_location: str,
        curated_bucket: s3.IBucket,
        database_name: str,
        datasets: tuple[Dataset, ...],
        extra_tables: tuple[str, ...] = (),
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, id)
        results_bucket_name, results_prefix = results_location.removeprefix("s3://").split("/", 1)
        results_bucket = s3.Bucket.from_bucket_name(self, "ResultsBucket", results_bucket_name)
        results_objects = results_bucket.arn_for_objects(f"{results_prefix}*")
        # Each dataset's curated prefix (not its quarantine or reports), and QuickSight's own area.
        prefixes = {dataset.name: dataset.curated_prefix for dataset in datasets} | {"QuickSight": QUICKSIGHT_PREFIX}
        curated_objects = {owner: keys_under(curated_bucket, prefix) for owner, prefix in prefixes.items()}
        tables = [*(dataset.table for dataset in datasets), *extra_tables]

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=account_scoped_service("quicksight.amazonaws.com"),
            description="Assumed by the QuickSight data sources of the lake to query the curated zone through Athena.",
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="QueryInTheProjectWorkgroup",
                    actions=[
                        "athena:GetWorkGroup",
                        "athena:StartQueryExecution",
                        "athena:StopQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:BatchGetQueryExecution",
                        "athena:ListQueryExecutions",
                        "athena:GetQueryResults",
                        "athena:GetQueryResultsStream",
                    ],
                    resources=[regional_arn("athena", f"workgroup/{workgroup_name}")],
                ),
                iam.PolicyStatement(
                    sid="BrowseTheGlueCatalogThroughAthena",
                    actions=[
                        "athena:GetDataCatalog",
                        "athena:ListDatabases",
                        "athena:GetDatabase",
                        "athena:ListTableMetadata",
                        "athena:GetTableMetadata",
                    ],
                    resources=[regional_arn("athena", f"datacatalog/{ATHENA_CATALOG}")],
                ),
                iam.PolicyStatement(sid="ListCatalogsAndWorkgroups", actions=ATHENA_LIST_ACTIONS, resources=["*"]),
                iam.PolicyStatement(sid="LocateTheCuratedZone", actions=["s3:GetBucketLocation"], resources=[curated_bucket.bucket_arn]),
                iam.PolicyStatement(
                    sid="ListTheResultPrefix",
                    actions=["s3:ListBucket"],
                    resources=[results_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [results_prefix, f"{results_prefix}*"]}},
                ),
                iam.PolicyStatement(
                    sid="LocateTheResultBucket",
                    actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                    resources=[results_bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadAndWriteResults",
                    actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                    resources=[results_objects],
                ),
            ],
        )
        # The curated tables, their files (not the quarantine, not the run reports) and QuickSight's own area.
        CatalogDatabase(database_name).grant_read(policy, tables)
        LakeZone(curated_bucket, key).grant_read(policy, prefixes.values())
        # Athena encrypts the results it writes for QuickSight with the lake key.
        key.grant(policy, "kms:GenerateDataKey")
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, "*"),
                reason=f"Only {' and '.join(ATHENA_LIST_ACTIONS)}: Athena supports no resource-level permission for "
                "them; they list names only, and every query stays limited to the project's workgroup.",
            ),
            *(
                Acknowledgment(
                    id=iam5_resource(self, objects),
                    reason=f"QuickSight reads the curated files of {owner}, whose keys are partitions and files the curation job names."
                    if owner != "QuickSight"
                    else f"QuickSight's own area {QUICKSIGHT_PREFIX}: the S3 data source's manifest and files, row-level rules.",
                )
                for owner, objects in curated_objects.items()
            ),
            Acknowledgment(
                id=iam5_resource(self, results_objects),
                reason=f"Athena writes each result under {results_prefix} with a key named after the query id, "
                "and QuickSight reads it back from there.",
            ),
        )

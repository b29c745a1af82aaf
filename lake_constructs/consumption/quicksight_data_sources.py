"""QuickSight data sources of the lake: Athena for the tables, S3 for flat files."""
from aws_cdk import Aws
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from lake_constructs.consumption.quicksight_permissions import DATA_SOURCE_OWNER_ACTIONS, owner_permissions


class _DataSource(Construct):
    """Shared by both kinds: the account, the run-as role and the owner's exact permissions."""

    def __init__(self, scope: Construct, id: str, *, data_source_id: str, name: str, owner: str, **props) -> None:
        super().__init__(scope, id)
        self.data_source = quicksight.CfnDataSource(
            self,
            "DataSource",
            aws_account_id=Aws.ACCOUNT_ID,
            data_source_id=data_source_id,
            name=name,
            permissions=owner_permissions(quicksight.CfnDataSource.ResourcePermissionProperty, owner, DATA_SOURCE_OWNER_ACTIONS),
            **props,
        )
        self.arn = self.data_source.attr_arn


class AthenaDataSource(_DataSource):
    """The lake's tables, queried through the project's Athena workgroup.

    Secures: every query runs in `workgroup` (results SSE-KMS with the lake key, bytes scanned
    capped, settings enforced) as `role_arn`, so QuickSight reaches only what that role
    allows; SSL is explicitly on (cdk-nag AwsSolutions-QS1); only `owner` may see, use,
    change or delete the data source, through the exact actions of DATA_SOURCE_OWNER_ACTIONS.
    """

    def __init__(self, scope: Construct, id: str, *, data_source_id: str, name: str, owner: str, workgroup: str, role_arn: str) -> None:
        super().__init__(
            scope,
            id,
            data_source_id=data_source_id,
            name=name,
            owner=owner,
            type="ATHENA",
            data_source_parameters=quicksight.CfnDataSource.DataSourceParametersProperty(
                athena_parameters=quicksight.CfnDataSource.AthenaParametersProperty(work_group=workgroup, role_arn=role_arn)
            ),
            ssl_properties=quicksight.CfnDataSource.SslPropertiesProperty(disable_ssl=False),
        )


class S3ManifestDataSource(_DataSource):
    """Flat files (CSV, JSON, XLSX) listed by a manifest at `s3://<bucket>/<manifest_key>`.

    Secures: QuickSight reads the manifest and the files it lists as `role_arn` (TLS-only,
    KMS-encrypted lake bucket), not with its account-wide S3 access; only `owner` controls
    the data source. The manifest is not created here: CloudFormation cannot write an S3
    object without a custom-resource Lambda; the README (QuickSight) shows how to upload it.
    """

    def __init__(
        self, scope: Construct, id: str, *, data_source_id: str, name: str, owner: str, bucket_name: str, manifest_key: str, role_arn: str
    ) -> None:
        super().__init__(
            scope,
            id,
            data_source_id=data_source_id,
            name=name,
            owner=owner,
            type="S3",
            data_source_parameters=quicksight.CfnDataSource.DataSourceParametersProperty(
                s3_parameters=quicksight.CfnDataSource.S3ParametersProperty(
                    manifest_file_location=quicksight.CfnDataSource.ManifestFileLocationProperty(bucket=bucket_name, key=manifest_key),
                    role_arn=role_arn,
                )
            ),
        )

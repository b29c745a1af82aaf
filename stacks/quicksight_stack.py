"""QuickSight over the lake: a run-as role, the Athena and S3 data sources, one dataset per
declared dataset, and the analyses and dashboards defined in `datasets/<name>/dashboard.json`."""
from aws_cdk import Aws, CfnOutput, CfnResource, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_config import ConfigError, LakeSettings
from lake_config.dashboard_definitions import load_dashboards
from lake_config.governance_plan import dashboard_problem, quicksight_visible
from lake_config.datasets import Dataset
from lake_config.quicksight_settings import ROW_RULES_PREFIX, S3_FILES_PREFIX, S3_MANIFEST_KEY
from lake_constructs.consumption.quicksight_access_role import QuickSightAccessRole
from lake_constructs.consumption.quicksight_columns import FieldType, quicksight_columns
from lake_constructs.consumption.quicksight_dashboard import QuickSightDashboard
from lake_constructs.consumption.quicksight_data_sources import AthenaDataSource, S3ManifestDataSource
from lake_constructs.consumption.quicksight_dataset import AthenaTableDataSet
from stacks.analytics_stack import AnalyticsStack
from stacks.catalog_stack import CatalogStack, construct_id
from stacks.storage_stack import StorageStack, import_lake_bucket

ROW_RULES_SUFFIX = "_row_permissions"


def row_rules_table(dataset: Dataset) -> str:
    """The rules table of a dataset's row-level security, beside its curated table."""
    return f"{dataset.table}{ROW_RULES_SUFFIX}"


class QuickSightStack(Stack):
    """Exists only in stages with `quicksight.enabled`; the account subscription is a prerequisite.

    The Athena data source is the way to the lake's tables; the S3 data source serves flat
    files dropped under `quicksight/files/` in the curated bucket. Both run as one role that
    can read the curated zone and nothing else of the lake.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        storage: StorageStack,
        catalog: CatalogStack,
        analytics: AnalyticsStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # Analytics comes after catalog, which creates the curated database the datasets read.
        self.add_stack_dependency(analytics)
        config = settings.quicksight
        owner = config.owner_arn(settings.account or Aws.ACCOUNT_ID)
        database = catalog.curated_database_name
        curated_bucket = import_lake_bucket(self, settings, "curated")
        rls = config.row_level_security
        restricted = [settings.dataset(name) for name in rls.columns] if rls.enabled else []

        self.access_role = QuickSightAccessRole(
            self,
            "AccessRole",
            workgroup_name=analytics.workgroup.name,
            results_location=analytics.workgroup.output_location,
            curated_bucket=curated_bucket,
            database_name=database,
            datasets=settings.datasets,
            extra_tables=tuple(row_rules_table(dataset) for dataset in restricted),
            key=storage.key,
        )
        role_arn = self.access_role.role.role_arn
        self.athena = AthenaDataSource(
            self,
            "AthenaDataSource",
            data_source_id=f"{settings.prefix}-athena",
            name=f"{settings.prefix} lake (Athena)",
            owner=owner,
            workgroup=analytics.workgroup.name,
            role_arn=role_arn,
        )
        if config.s3_source:
            self.s3_files = S3ManifestDataSource(
                self,
                "S3FilesDataSource",
                data_source_id=f"{settings.prefix}-s3-files",
                name=f"{settings.prefix} files (S3)",
                owner=owner,
                bucket_name=curated_bucket.bucket_name,
                manifest_key=S3_MANIFEST_KEY,
                role_arn=role_arn,
            )
            self._location("S3Manifest", curated_bucket, S3_MANIFEST_KEY, "Upload the S3 data source's manifest here")
            self._location("S3Files", curated_bucket, S3_FILES_PREFIX, "Files the S3 data source reads")

        # One dataset per lake dataset, id `<prefix>-<dataset>` (analyses and dashboards refer to it).
        self.data_sets: dict[str, AthenaTableDataSet] = {}
        for dataset in settings.datasets:
            id = construct_id(dataset.name)
            rules_arn = self._row_rules(settings, dataset, database, curated_bucket, owner).arn if dataset in restricted else None
            data_set = self.data_sets[dataset.name] = AthenaTableDataSet(
                self,
                f"{id}DataSet",
                data_set_id=f"{settings.prefix}-{dataset.name}",
                name=f"{settings.prefix} {dataset.name}",
                data_source_arn=self.athena.arn,
                database=database,
                table=dataset.table,
                # Where governance is on, QuickSight may not read restricted columns: the dataset leaves them out.
                columns=quicksight_visible(settings, quicksight_columns(dataset), dataset),
                import_mode=config.import_mode,
                owner=owner,
                row_level_permissions_arn=rules_arn,
                refresh=config.refresh,
            )
            CfnOutput(self, f"{id}DataSetId", value=data_set.data_set.data_set_id, description=f"QuickSight dataset of curated {dataset.name}")

        self.dashboards: dict[str, QuickSightDashboard] = {}
        if config.dashboards.enabled:
            self._dashboards(settings, owner)

        # cfn-lint checks every region and QuickSight is offered in most, not all: this stack
        # belongs only in a QuickSight region (the README (QuickSight), "Regions").
        for resource in self.node.find_all():
            if isinstance(resource, CfnResource) and resource.cfn_resource_type.startswith("AWS::QuickSight::"):
                resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3006"]}})

    def _dashboards(self, settings: LakeSettings, owner: str) -> None:
        """One analysis and dashboard per dataset with a `dashboard.json`, checked against the
        declarations first (a renamed column stops synth with one line)."""
        config = settings.quicksight
        readers = config.readers_arn(settings.account or Aws.ACCOUNT_ID)
        definitions = load_dashboards(settings.datasets)
        if problem := dashboard_problem(settings, definitions):
            raise ConfigError(problem)
        for definition in definitions:
            name = definition.dataset.name
            title = construct_id(name)
            self.dashboards[name] = QuickSightDashboard(
                self,
                f"{title}Dashboard",
                dashboard=definition,
                analysis_id=f"{settings.prefix}-{name}-analysis",
                dashboard_id=f"{settings.prefix}-{name}",
                name=f"{settings.prefix} {name}",
                data_set_arns={used: self.data_sets[used].arn for used in definition.data_set_names},
                owner=owner,
                readers=readers,
                export_to_csv=config.dashboards.export_to_csv,
                ml_insights=config.dashboards.ml_insights,
            )
            CfnOutput(self, f"{title}DashboardId", value=f"{settings.prefix}-{name}", description=f"QuickSight dashboard of {name}")

    def _location(self, id: str, bucket: s3.IBucket, key: str, description: str) -> None:
        CfnOutput(self, id, value=f"s3://{bucket.bucket_name}/{key}", description=description)

    def _row_rules(self, settings: LakeSettings, dataset: Dataset, database: str, curated_bucket: s3.IBucket, owner: str) -> AthenaTableDataSet:
        """The dataset's rules table (a CSV prefix in the curated zone) and the rules dataset over it."""
        rls = settings.quicksight.row_level_security
        id = construct_id(dataset.name)
        principal = rls.principal_column.lower()
        columns = [principal, *rls.columns[dataset.name]]
        prefix = f"{ROW_RULES_PREFIX}{dataset.name}/"
        table = glue.CfnTable(
            self,
            f"{id}RowRulesTable",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database,
            table_input=glue.CfnTable.TableInputProperty(
                name=row_rules_table(dataset),
                description=f"Row-level security of the QuickSight {dataset.name} dataset: which {rls.principal_column} sees which rows.",
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "csv", "skip.header.line.count": "1"},
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=f"s3://{curated_bucket.bucket_name}/{prefix}",
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    # Empty fields read as NULL, which a QuickSight rule takes as "every value".
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                        parameters={"field.delim": ",", "serialization.null.format": ""},
                    ),
                    columns=[glue.CfnTable.ColumnProperty(name=column, type="string") for column in columns],
                ),
            ),
        )
        rules = AthenaTableDataSet(
            self,
            f"{id}RowRulesDataSet",
            data_set_id=f"{settings.prefix}-{dataset.name}-row-rules",
            name=f"{settings.prefix} {dataset.name} row rules",
            data_source_arn=self.athena.arn,
            database=database,
            table=row_rules_table(dataset),
            columns={column: FieldType("STRING") for column in columns},
            # Rules take effect as soon as the CSV changes, with no import to wait for.
            import_mode="DIRECT_QUERY",
            owner=owner,
            # Athena lower-cases names; QuickSight looks for exactly UserName or GroupName.
            renames={principal: rls.principal_column},
            use_as="RLS_RULES",
        )
        rules.node.add_dependency(table)
        self._location(f"{id}RowRules", curated_bucket, prefix, f"CSV rules of row-level security on {dataset.name}")
        return rules


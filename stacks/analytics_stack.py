"""Athena: the enforced workgroup and each dataset's named queries, from its contract."""
from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.consumption.athena_workgroup import EnforcedWorkgroup
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.catalog_stack import CatalogStack
from stacks.storage_stack import StorageStack, import_lake_bucket

class AnalyticsStack(Stack):
    """The workgroup every reader (people, the CLI, QuickSight) queries through."""

    def __init__(
        self, scope: Construct, id: str, *, settings: LakeSettings, storage: StorageStack, catalog: CatalogStack, **kwargs
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(catalog)
        self.workgroup = EnforcedWorkgroup(
            self,
            "Workgroup",
            name=settings.prefix,
            results_bucket=import_lake_bucket(self, settings, "athena-results"),
            key=storage.key,
            bytes_scanned_cutoff_mb=settings.analytics.bytes_scanned_cutoff_mb,
            force_destroy=not settings.retain_data,
        )
        # `<query>_<zone>` per zone a contract lists: the same question over raw and curated lets
        # the smoke test compare results and bytes scanned. Logical ID = name (unique per stage,
        # checked by the settings), as the single-dataset stack had it.
        for dataset in settings.datasets:
            for query in dataset.named_queries:
                for zone in query.zones:
                    database = catalog.raw_database_name if zone == "raw" else catalog.curated_database_name
                    table = dataset.raw_table if zone == "raw" else dataset.table
                    name = query.query_name(zone)
                    athena.CfnNamedQuery(
                        self,
                        name,
                        name=name,
                        database=database,
                        work_group=self.workgroup.name,
                        description=f"{dataset.name} ({zone}): {query.description}"[:1024],
                        query_string=query.render(database=database, table=table),
                    )

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="analytics")
        discovery.publish("workgroup", self.workgroup.name, "Athena workgroup to run queries in")

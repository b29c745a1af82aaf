"""Athena: the enforced workgroup and the named queries over the sample data."""
from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.consumption.athena_workgroup import EnforcedWorkgroup
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.catalog_stack import CatalogStack
from stacks.storage_stack import StorageStack, import_lake_bucket

# The same question over both zones: the smoke test compares what each one scans.
REVENUE_BY_DAY = """SELECT dt, channel, count(*) AS orders, sum(quantity * unit_price) AS revenue
FROM {database}.sales
WHERE dt BETWEEN '2026-01-01' AND '2026-01-07'
GROUP BY dt, channel
ORDER BY dt, channel"""

TOP_PRODUCTS = """SELECT product_id, category, sum(quantity) AS units, sum(amount) AS revenue
FROM {database}.sales
GROUP BY product_id, category
ORDER BY revenue DESC
LIMIT 10"""

ROWS_PER_PARTITION = """SELECT dt, count(*) AS rows
FROM {database}.sales
GROUP BY dt
ORDER BY dt"""


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
        raw = catalog.raw_database_name
        curated = catalog.curated_database_name
        queries = {
            "revenue_by_day_raw": (raw, REVENUE_BY_DAY, "Revenue per day and channel, from the raw CSV."),
            "revenue_by_day_curated": (curated, REVENUE_BY_DAY, "Revenue per day and channel, from curated Parquet."),
            "top_products_curated": (curated, TOP_PRODUCTS, "Ten best-selling products by revenue."),
            "rows_per_partition_raw": (raw, ROWS_PER_PARTITION, "Row count per date partition of the raw table."),
        }
        for name, (database, sql, description) in queries.items():
            athena.CfnNamedQuery(
                self,
                name,
                name=name,
                database=database,
                work_group=self.workgroup.name,
                description=description,
                query_string=sql.format(database=database),
            )

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="analytics")
        discovery.publish("workgroup", self.workgroup.name, "Athena workgroup to run queries in")

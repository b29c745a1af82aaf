"""The Glue Data Catalog side of the lake: databases, crawlers and catalog encryption."""
from dataclasses import dataclass

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_config import LakeSettings
from lake_config.datasets import Dataset
from lake_constructs.catalog.curated_table import CuratedTable
from lake_constructs.catalog.data_quality_ruleset import DataQualityRuleset
from lake_constructs.catalog.zone_crawler import ZoneCrawler
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.storage_stack import StorageStack, import_lake_bucket


def construct_id(dataset: str) -> str:
    """`click_stream` -> `ClickStream`: the dataset's part of a logical ID. The first shipped
    dataset keeps the IDs the single-dataset stacks gave it (`<Name>DataSet`, ...), so an update
    replaces nothing stateful."""
    return "".join(part.capitalize() for part in dataset.split("_"))


@dataclass(frozen=True)
class DatasetCatalog:
    """What the catalog holds for one dataset."""

    raw_crawler: ZoneCrawler
    raw_crawler_table: str
    curated_table: CuratedTable
    ruleset: DataQualityRuleset


class CatalogStack(Stack):
    """A database per zone; per dataset a raw crawler, a declared curated table and a Data
    Quality ruleset; and encryption for all of it.

    The curated zone is not crawled: its tables are declared from the contracts and the
    curation job registers the partitions it writes, so a crawler would only repeat that
    and could rewrite the declared schema.

    Secures: crawler logs (CloudWatch, SSE-KMS with the lake key) and anything Glue writes
    to S3 (SSE-KMS, never disabled) through one security configuration; catalog metadata
    and connection passwords with the lake key (Data Catalog encryption settings).
    """

    def __init__(self, scope: Construct, id: str, *, settings: LakeSettings, storage: StorageStack, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(storage)
        key = storage.key
        raw_bucket = import_lake_bucket(self, settings, "raw")
        curated_bucket = import_lake_bucket(self, settings, "curated")
        self._retain = settings.retain_data
        # lake_formation mode: tables created in the stage's databases get no IAMAllowedPrincipals
        # grant, so Lake Formation alone decides who reads them (docs/governance.md).
        self._table_defaults = [] if settings.governance.mode == "lake_formation" else None

        # Literal names, not Refs: IAM policies and acknowledgments need them at synth time.
        self.raw_database_name = f"{settings.glue_prefix}_raw"
        self.curated_database_name = f"{settings.glue_prefix}_curated"
        self.raw_database = self._database("RawDatabase", self.raw_database_name, raw_bucket.bucket_name, "Raw zone: data as delivered (CSV, JSON lines, Parquet).")
        self.curated_database = self._database(
            "CuratedDatabase", self.curated_database_name, curated_bucket.bucket_name, "Curated zone: cleaned, typed, partitioned Parquet."
        )

        security_configuration = glue.CfnSecurityConfiguration(
            self,
            "CrawlerSecurityConfiguration",
            name=f"{settings.prefix}-glue",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                ),
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(s3_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn)
                ],
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key.key_arn
                ),
            ),
        )

        crawler_common = dict(key=key, security_configuration=security_configuration.ref, schedule=settings.catalog.crawler_schedule)
        self.datasets: dict[str, DatasetCatalog] = {}
        for dataset in settings.datasets:
            self.datasets[dataset.name] = self._dataset(settings, dataset, raw_bucket, curated_bucket, key, crawler_common)

        if settings.catalog.manage_data_catalog_encryption:
            glue.CfnDataCatalogEncryptionSettings(
                self,
                "DataCatalogEncryption",
                catalog_id=Aws.ACCOUNT_ID,
                data_catalog_encryption_settings=glue.CfnDataCatalogEncryptionSettings.DataCatalogEncryptionSettingsProperty(
                    encryption_at_rest=glue.CfnDataCatalogEncryptionSettings.EncryptionAtRestProperty(
                        catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=key.key_arn
                    ),
                    connection_password_encryption=glue.CfnDataCatalogEncryptionSettings.ConnectionPasswordEncryptionProperty(
                        return_connection_password_encrypted=True, kms_key_id=key.key_arn
                    ),
                ),
            )

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="catalog")
        discovery.publish("raw-database", self.raw_database.ref, "Glue database of the raw zone")
        discovery.publish("curated-database", self.curated_database.ref, "Glue database of the curated zone")
        for name, catalog in self.datasets.items():
            published = Discovery(self, f"{construct_id(name)}Discovery", ssm_prefix=settings.ssm_prefix, section=f"catalog/datasets/{name}")
            published.publish("raw-crawler", catalog.raw_crawler.crawler_name, f"Crawler of the raw {name} table")
            published.publish("raw-table", catalog.raw_crawler_table, f"Raw {name} table (named by its crawler)")
            published.publish("curated-table", catalog.curated_table.table_name, f"Curated {name} table (declared from its contract)")
            published.publish("data-quality-ruleset", catalog.ruleset.ruleset_name, f"Glue Data Quality ruleset of {name}")
            published.publish("data-quality-role", catalog.ruleset.role.role_arn, f"Role a Data Quality evaluation of {name} runs as")

    def _dataset(
        self, settings: LakeSettings, dataset: Dataset, raw_bucket: s3.IBucket, curated_bucket: s3.IBucket, key, crawler_common: dict
    ) -> "DatasetCatalog":
        """The raw crawler (with the classifier its format needs), the declared curated table and
        its Data Quality ruleset of one dataset."""
        id = construct_id(dataset.name)
        classifiers = []
        if dataset.raw_format == "csv":
            # Without an explicit header rule, Glue guesses from the column types and may read the
            # header as data. Only CSV datasets get it: JSON lines and Parquet need no custom
            # classifier (Glue's built-in JSON and Parquet classifiers read them).
            classifier = glue.CfnClassifier(
                self,
                f"{id}CsvClassifier",
                csv_classifier=glue.CfnClassifier.CsvClassifierProperty(
                    name=f"{settings.prefix}-{dataset.name}-csv",
                    contains_header="PRESENT",
                    delimiter=dataset.csv_delimiter,
                    quote_symbol='"',
                ),
            )
            classifiers.append(classifier.ref)
        crawler = ZoneCrawler(
            self,
            f"{id}RawCrawler",
            crawler_name=f"{settings.prefix}-{dataset.name}-raw",
            bucket=raw_bucket,
            prefix=dataset.raw_prefix,
            database_name=self.raw_database_name,
            table_name=dataset.raw_table,
            incremental=True,
            classifiers=classifiers,
            **crawler_common,
        )
        crawler.node.add_dependency(self.raw_database)
        table = CuratedTable(
            self,
            f"{id}CuratedTable",
            dataset=dataset,
            database_name=self.curated_database_name,
            bucket_name=curated_bucket.bucket_name,
            retain=self._retain,
        )
        table.node.add_dependency(self.curated_database)
        ruleset = DataQualityRuleset(
            self,
            f"{id}DataQuality",
            ruleset_name=f"{settings.prefix}-{dataset.name}",
            dataset=dataset,
            database_name=self.curated_database_name,
            curated_bucket=curated_bucket,
            key=key,
        )
        ruleset.node.add_dependency(table)
        return DatasetCatalog(crawler, dataset.raw_table, table, ruleset)

    def _database(self, id: str, name: str, bucket_name: str, description: str) -> glue.CfnDatabase:
        database = glue.CfnDatabase(
            self,
            id,
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=name, description=description, location_uri=f"s3://{bucket_name}/",
                create_table_default_permissions=self._table_defaults,
            ),
        )
        # Table definitions are work (partitions, schemas); keep them where data is kept.
        database.apply_removal_policy(RemovalPolicy.RETAIN if self._retain else RemovalPolicy.DESTROY)
        return database

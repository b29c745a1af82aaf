"""The Glue Data Catalog side of the lake: databases, crawlers and catalog encryption."""
from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.shared.discovery_parameters import Discovery
from lake_constructs.catalog.zone_crawler import ZoneCrawler
from stacks.storage_stack import StorageStack, import_lake_bucket

# The dataset every zone carries; see docs/CONTRACTS.md.
DATASET_PREFIX = "sales/"


class CatalogStack(Stack):
    """A database per zone, a crawler per zone, and encryption for all of it.

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

        # Literal names, not Refs: IAM policies and acknowledgments need them at synth time.
        self.raw_database_name = f"{settings.glue_prefix}_raw"
        self.curated_database_name = f"{settings.glue_prefix}_curated"
        self.raw_database = self._database("RawDatabase", self.raw_database_name, raw_bucket.bucket_name, "Raw zone: data as delivered (CSV).")
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

        # Without an explicit header rule, Glue guesses from the column types and may
        # read the header as data.
        csv_classifier = glue.CfnClassifier(
            self,
            "CsvWithHeader",
            csv_classifier=glue.CfnClassifier.CsvClassifierProperty(
                name=f"{settings.prefix}-csv-with-header",
                contains_header="PRESENT",
                delimiter=",",
                quote_symbol='"',
            ),
        )

        crawler_common = dict(key=key, security_configuration=security_configuration.ref, schedule=settings.catalog.crawler_schedule)
        self.raw_crawler = ZoneCrawler(
            self,
            "RawCrawler",
            crawler_name=f"{settings.prefix}-raw",
            bucket=raw_bucket,
            prefix=DATASET_PREFIX,
            database_name=self.raw_database_name,
            incremental=True,
            classifiers=[csv_classifier.ref],
            **crawler_common,
        )
        self.curated_crawler = ZoneCrawler(
            self,
            "CuratedCrawler",
            crawler_name=f"{settings.prefix}-curated",
            bucket=curated_bucket,
            prefix=DATASET_PREFIX,
            database_name=self.curated_database_name,
            incremental=False,
            **crawler_common,
        )
        self.raw_crawler.node.add_dependency(self.raw_database)
        self.curated_crawler.node.add_dependency(self.curated_database)

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
        discovery.publish("raw-crawler", self.raw_crawler.crawler_name, "Crawler of the raw zone")
        discovery.publish("curated-crawler", self.curated_crawler.crawler_name, "Crawler of the curated zone")

    def _database(self, id: str, name: str, bucket_name: str, description: str) -> glue.CfnDatabase:
        database = glue.CfnDatabase(
            self,
            id,
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=name, description=description, location_uri=f"s3://{bucket_name}/"
            ),
        )
        # Table definitions are work (partitions, schemas); keep them where data is kept.
        database.apply_removal_policy(RemovalPolicy.RETAIN if self._retain else RemovalPolicy.DESTROY)
        return database

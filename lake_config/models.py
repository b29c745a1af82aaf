"""The settings of one stage. Defaults here are the documented secure, cheap defaults.

Every field is overridable per stage under `context.stages.<stage>` in cdk.json.
"""
import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from lake_config.base import Section
from lake_config.datasets import Dataset
from lake_config.emr_settings import EmrSettings, NetworkSettings
from lake_config.monitoring_settings import REGIONS_WITHOUT_BUDGET_RESOURCE, MonitoringSettings
from lake_config.pipeline_settings import PipelineSettings
from lake_config.quicksight_settings import QuickSightSettings

# S3 bucket names are at most 63 characters. The longest name built from the project
# prefix is "<project>-athena-results-<12-digit account>-<region up to 14 chars>",
# which leaves 20 characters for the prefix.
PROJECT_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"


class StorageSettings(Section):
    """Lifecycle of the lake buckets, in days. Minimums follow S3's transition rules."""

    # S3 moves objects to STANDARD_IA only after 30 days in STANDARD.
    raw_infrequent_access_days: Annotated[int, Field(ge=30, le=3650)] = 30
    # An object must stay 30 days in STANDARD_IA before it moves on.
    raw_glacier_ir_days: Annotated[int, Field(ge=60, le=3650)] = 90
    curated_intelligent_tiering_days: Annotated[int, Field(ge=0, le=3650)] = 30
    athena_results_expiration_days: Annotated[int, Field(ge=1, le=365)] = 7
    access_logs_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 30
    abort_incomplete_multipart_upload_days: Annotated[int, Field(ge=1, le=30)] = 7

    @model_validator(mode="after")
    def _glacier_after_infrequent_access(self):
        if self.raw_glacier_ir_days < self.raw_infrequent_access_days + 30:
            raise ValueError(
                "storage.raw_glacier_ir_days must be at least storage.raw_infrequent_access_days + 30 "
                f"({self.raw_infrequent_access_days + 30}): S3 keeps objects 30 days in STANDARD_IA"
            )
        return self


class CatalogSettings(Section):
    """Glue crawlers and catalog encryption."""

    crawler_schedule: str = "cron(0 3 * * ? *)"
    # Data Catalog encryption is one setting per account and region: let only one stage
    # in an account own it (see README, "Configuration reference").
    manage_data_catalog_encryption: bool = True

    @field_validator("crawler_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not re.fullmatch(r"cron\((\S+ ){5}\S+\)", value):
            raise ValueError("must be a Glue cron expression with six fields, e.g. 'cron(0 3 * * ? *)'")
        return value


class AnalyticsSettings(Section):
    """Athena workgroup limits."""

    # Athena's floor for BytesScannedCutoffPerQuery is 10 MB.
    bytes_scanned_cutoff_mb: Annotated[int, Field(ge=10, le=10_000_000)] = 1024


class LakeSettings(Section):
    """Everything one stage needs. `stage` and `project` name every resource."""

    stage: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,9}$")]
    project: Annotated[str, Field(pattern=PROJECT_NAME_PATTERN)] = "datalake"
    account: Annotated[str | None, Field(pattern=r"^\d{12}$")] = None
    region: Annotated[str | None, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = None
    # Keep buckets and the key when the stack is deleted, and protect the stacks.
    retain_data: bool = True
    termination_protection: bool = True
    storage: StorageSettings = StorageSettings()
    catalog: CatalogSettings = CatalogSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    network: NetworkSettings = NetworkSettings()
    emr: EmrSettings = EmrSettings()
    quicksight: QuickSightSettings = QuickSightSettings()
    pipeline: PipelineSettings = PipelineSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    # Loaded from datasets/<name>/contract.odcs.yaml by the loader (names from context `datasets`).
    datasets: Annotated[tuple[Dataset, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _budget_where_cloudformation_has_it(self):
        if self.monitoring.budget.enabled and self.region in REGIONS_WITHOUT_BUDGET_RESOURCE:
            raise ValueError(
                f"monitoring.budget.enabled must be false in {self.region}: its CloudFormation has no AWS::Budgets::Budget "
                "(create the budget from a stage in another region, or in the Billing console)"
            )
        return self

    def dataset(self, name: str) -> Dataset:
        return next(dataset for dataset in self.datasets if dataset.name == name)

    @property
    def prefix(self) -> str:
        """`<project>-<stage>`: stack names, bucket names and the SSM path use it."""
        return f"{self.project}-{self.stage}"

    @property
    def ssm_prefix(self) -> str:
        return f"/{self.project}/{self.stage}"

    @property
    def glue_prefix(self) -> str:
        """Glue and Athena names allow underscores, not hyphens."""
        return self.prefix.replace("-", "_")

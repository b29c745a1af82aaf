"""The settings of one stage. Defaults here are the documented secure, cheap defaults.

Every field is overridable per stage under `context.stages.<stage>` in cdk.json.
"""
from typing import Annotated

from pydantic import Field, model_validator

from lake_config.base import Section
from lake_config.cron import CronExpression
from lake_config.datasets import Dataset
from lake_config.emr_settings import EmrSettings, NetworkSettings
from lake_config.governance_settings import GovernanceSettings, contract_tag_problem
from lake_config.names import bucket_name_problem
from lake_config.monitoring_settings import REGIONS_WITHOUT_BUDGET_RESOURCE, MonitoringSettings
from lake_config.pipeline_settings import PipelineSettings
from lake_config.quicksight_settings import QuickSightSettings
from lake_config.studio_settings import STUDIO_REGIONS, WORKSPACE_PREFIX, StudioSettings

# The full length of the names built from it is checked against AWS's limits (lake_config.names).
PROJECT_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$"
STAGE_NAME_PATTERN = r"^[a-z][a-z0-9]{1,9}$"


class StorageSettings(Section):
    """Lifecycle of the lake buckets, in days. Minimums follow S3's transition rules."""

    # S3 moves objects to STANDARD_IA only after 30 days in STANDARD.
    raw_infrequent_access_days: Annotated[int, Field(ge=30, le=3650)] = Field(
        30,
        description="Days after which raw objects move to STANDARD_IA (S3 allows it after 30 days in STANDARD).",
    )
    # An object must stay 30 days in STANDARD_IA before it moves on.
    raw_glacier_ir_days: Annotated[int, Field(ge=60, le=3650)] = Field(
        90,
        description="Days after which raw objects move to GLACIER_IR; at least raw_infrequent_access_days + 30 (S3 keeps objects 30 days in STANDARD_IA).",
    )
    curated_intelligent_tiering_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        30,
        description="Days after which curated objects move to INTELLIGENT_TIERING (0: at once).",
    )
    athena_results_expiration_days: Annotated[int, Field(ge=1, le=365)] = Field(
        7,
        description="Days after which Athena query results are deleted.",
    )
    access_logs_expiration_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        90,
        description="Days after which S3 access logs and EMR logs are deleted.",
    )
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        30,
        description="Days after which overwritten or deleted object versions are removed.",
    )
    abort_incomplete_multipart_upload_days: Annotated[int, Field(ge=1, le=30)] = Field(
        7,
        description="Days after which unfinished multipart uploads are aborted.",
    )

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

    crawler_schedule: CronExpression = Field(
        "cron(0 3 * * ? *)",
        description="When each dataset's raw crawler runs (UTC): a Glue cron expression, six fields, '?' in exactly one of day-of-month and day-of-week.",
    )
    # Data Catalog encryption is one setting per account and region, and a key pending deletion
    # makes what it encrypted unreadable: only a stage that retains its key may own it, and one
    # stage per account should (shipped: prod). See README, "Configuration reference".
    manage_data_catalog_encryption: bool = Field(
        False,
        description="This stage owns the account's Data Catalog encryption (one stage per account and region; needs retain_data: true; never an ephemeral stage).",
    )


class AnalyticsSettings(Section):
    """Athena workgroup limits."""

    # Athena's floor for BytesScannedCutoffPerQuery is 10 MB.
    bytes_scanned_cutoff_mb: Annotated[int, Field(ge=10, le=10_000_000)] = Field(
        1024,
        description="Athena cancels a query of the workgroup that would scan more megabytes than this (Athena's floor is 10 MB).",
    )


class LakeSettings(Section):
    """Everything one stage needs. `stage` and `project` name every resource."""

    stage: Annotated[str, Field(pattern=STAGE_NAME_PATTERN)] = Field(
        description="The stage's name, chosen with -c stage=<name> (the key under cdk.json's stages).",
    )
    project: Annotated[str, Field(pattern=PROJECT_NAME_PATTERN)] = Field(
        "datalake",
        description="Prefix of every stack, bucket (<project>-<stage>-raw-<account>-<region>), Glue database and the SSM path; with the stage at most 18 characters together.",
    )
    account: Annotated[str | None, Field(pattern=r"^\d{12}$")] = Field(
        None,
        description="Pin the stage to this 12-digit account; unset: the account of the CLI's credentials.",
    )
    region: Annotated[str | None, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = Field(
        None,
        description="Pin the stage to this region; unset: the region of the CLI's credentials.",
    )
    # Keep buckets and the key when the stack is deleted, and protect the stacks.
    retain_data: bool = Field(
        True,
        description="Keep the buckets, the key and the Glue databases when a stack is deleted (false: buckets are emptied and deleted, the key gets the 7-day window).",
    )
    termination_protection: bool = Field(True, description="CloudFormation termination protection on every stack of the stage.")
    storage: StorageSettings = Field(StorageSettings(), description="Lifecycle of the lake buckets.")
    catalog: CatalogSettings = Field(CatalogSettings(), description="Glue crawlers and Data Catalog encryption.")
    analytics: AnalyticsSettings = Field(AnalyticsSettings(), description="The Athena workgroup's limits.")
    network: NetworkSettings = Field(NetworkSettings(), description="The VPC of the EMR clusters: created, or an existing one.")
    emr: EmrSettings = Field(EmrSettings(), description="The EMR on EC2 curation cluster.")
    quicksight: QuickSightSettings = Field(QuickSightSettings(), description="QuickSight data sources, datasets and dashboards.")
    studio: StudioSettings = Field(StudioSettings(), description="EMR Studio and its interactive cluster.")
    pipeline: PipelineSettings = Field(PipelineSettings(), description="The scheduled curation pipeline (Step Functions).")
    monitoring: MonitoringSettings = Field(
        MonitoringSettings(),
        description="Alarms, failure notifications and the monthly budget.",
    )
    governance: GovernanceSettings = Field(
        GovernanceSettings(),
        description="The permission model: iam (default), Lake Formation hybrid access mode, or Lake Formation (docs/governance.md).",
    )
    # Loaded from datasets/<name>/contract.odcs.yaml by the loader (names from context `datasets`).
    datasets: Annotated[tuple[Dataset, ...], Field(min_length=1)] = Field(
        description="The stage's datasets, loaded from datasets/<name>/contract.odcs.yaml for each name in cdk.json's datasets.",
    )
    # Set by the loader for `-c stage=<new> -c base_stage=<shipped>`: an ephemeral stage.
    base_stage: Annotated[str | None, Field(pattern=STAGE_NAME_PATTERN)] = Field(
        None,
        description="The shipped stage an ephemeral stage derives from (-c base_stage=<stage>); a command-line context key, never a setting.",
    )

    @model_validator(mode="after")
    def _names_fit_and_catalog_owner_keeps_its_key(self):
        if problem := bucket_name_problem(self.project, self.stage, self.region):
            raise ValueError(problem)
        if self.catalog.manage_data_catalog_encryption and not self.retain_data:
            raise ValueError(
                "catalog.manage_data_catalog_encryption needs retain_data: true: the account's Data Catalog would stay "
                "encrypted with this stage's key after its deletion, and a key pending deletion makes the catalog unreadable"
            )
        return self

    @property
    def ephemeral(self) -> bool:
        """Derived on the command line from a shipped stage: never retains data, never owns the catalog."""
        return self.base_stage is not None

    @model_validator(mode="after")
    def _studio_fits(self):
        if self.studio.enabled and not self.emr.enabled:
            raise ValueError("studio.enabled needs emr.enabled: Workspaces attach to an interactive cluster in the EMR network")
        if self.studio.enabled and self.region and self.region not in STUDIO_REGIONS:
            raise ValueError(f"studio.enabled: EMR Studio does not exist in {self.region}; it does in {', '.join(STUDIO_REGIONS)}")
        if self.studio.enabled and (clash := [d.name for d in self.datasets if d.curated_prefix.startswith(WORKSPACE_PREFIX)]):
            raise ValueError(f"dataset {clash[0]} uses the curated prefix {WORKSPACE_PREFIX}, which holds EMR Studio Workspaces; rename it")
        return self

    @model_validator(mode="after")
    def _budget_where_cloudformation_has_it(self):
        if self.monitoring.budget.enabled and self.region in REGIONS_WITHOUT_BUDGET_RESOURCE:
            raise ValueError(
                f"monitoring.budget.enabled must be false in {self.region}: its CloudFormation has no AWS::Budgets::Budget "
                "(create the budget from a stage in another region, or in the Billing console)"
            )
        return self

    @model_validator(mode="after")
    def _contracts_can_be_tagged(self):
        if self.governance.governed and (problem := contract_tag_problem(self.datasets)):
            raise ValueError(problem)
        return self

    def dataset(self, name: str) -> Dataset:
        return next(dataset for dataset in self.datasets if dataset.name == name)

    @model_validator(mode="after")
    def _datasets_fit_together(self):
        """Datasets share buckets, databases and the workgroup: their names must not collide."""
        _distinct("curated tables (schema[0].physicalName)", {d.name: d.table for d in self.datasets})
        _distinct("raw tables (the last folder of servers[raw].location)", {d.name: d.raw_table for d in self.datasets})
        queries = {f"{d.name}.{q.query_name(z)}": q.query_name(z) for d in self.datasets for q in d.named_queries for z in q.zones}
        _distinct("named queries (<name>_<zone>)", queries)
        for zone in ("raw_prefix", "curated_prefix"):
            prefixes = sorted((getattr(d, zone), d.name) for d in self.datasets)
            for (first, a), (second, b) in zip(prefixes, prefixes[1:]):
                if second.startswith(first):
                    raise ValueError(
                        f"datasets: {b}'s {zone.replace('_', ' ')} {second} lies inside {a}'s {first}; give each dataset its own folder"
                    )
        names = [d.name for d in self.datasets]
        for name, columns in self.quicksight.row_level_security.columns.items():
            where = f"quicksight.row_level_security.columns.{name}"
            if name not in names:
                raise ValueError(f"{where}: {name!r} is not a dataset of this stage ({', '.join(names)})")
            text = [c.name for c in self.dataset(name).columns if c.type == "string"]
            if unknown := [c for c in columns if c not in text]:
                raise ValueError(f"{where}: {unknown[0]!r} is not a text column of {name}; rules can restrict {', '.join(text)}")
        return self

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


def _distinct(what: str, names: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    for owner, name in names.items():
        if name in seen:
            raise ValueError(f"datasets: {what} must be distinct, but {seen[name]} and {owner} both make {name!r}")
        seen[name] = owner

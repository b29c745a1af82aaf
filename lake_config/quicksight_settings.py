"""Settings of the QuickSight layer: the switch, the principals, the edition, how the datasets are
served, and the dashboards built on them.

Reference: docs/quicksight.md and docs/reference/configuration.md (generated from these models).
"""
import functools
import importlib.resources
import re
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from lake_config.base import Section

# Replaced by the deploying account, so cdk.json needs no account id.
ACCOUNT_PLACEHOLDER = "{account}"
REGION_PATTERN = r"[a-z]{2}(-[a-z]+)+-\d"
# Only the default namespace; users federated through an IAM role are named "<role>/<session>".
OWNER_PRINCIPAL = re.compile(
    rf"arn:aws(-cn|-us-gov)?:quicksight:(?P<region>{REGION_PATTERN}):(\d{{12}}|\{{account\}}):"
    r"(user|group)/default/[\w+=,.@-]+(/[\w+=,.@-]+)?"
)
OWNER_EXAMPLE = "arn:aws:quicksight:us-east-1:{account}:group/default/lake-owners"
READERS_EXAMPLE = "arn:aws:quicksight:us-east-1:{account}:group/default/lake-readers"
Edition = Literal["STANDARD", "ENTERPRISE"]
# GenerateEmbedUrlForRegisteredUser takes at most three AllowedDomains, each HTTPS (a leading
# "*." admits every subdomain), or http://localhost for development (AWS Big Data Blog, "Scale
# Amazon QuickSight embedded analytics with new API-based domain allow listing").
MAX_EMBED_DOMAINS = 3
EMBED_DOMAIN = re.compile(r"https://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?|http://localhost(:\d{1,5})?")
# Fixed keys in the curated bucket (the README (QuickSight)): the stack, the docs and the pre-deploy
# check (lakeops.quicksight_check) all read them from here.
S3_MANIFEST_KEY = "quicksight/manifests/files.json"
S3_FILES_PREFIX = "quicksight/files/"
# Row-level rules of a dataset live under this prefix + "<dataset>/".
ROW_RULES_PREFIX = "quicksight/row-level-security/"


@functools.cache
def iana_time_zones() -> frozenset[str]:
    """Every zone name of the IANA database, from the pinned tzdata package (the same on every machine)."""
    return frozenset(importlib.resources.files("tzdata").joinpath("zones").read_text().split())


Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


class RefreshSettings(Section):
    """When SPICE re-imports the dataset (ignored in DIRECT_QUERY mode, which has nothing to refresh)."""

    interval: Literal["HOURLY", "DAILY", "WEEKLY", "MONTHLY"] = Field(
        "DAILY",
        description="SPICE refresh frequency (full refresh); HOURLY needs Enterprise edition.",
    )
    # After the nightly crawl (02:00 / 03:00 UTC), so the refresh sees the new partition.
    time_of_day: str = Field(
        "05:00",
        description="When the refresh runs, HH:MM 24-hour (not used for HOURLY); after the nightly crawl.",
    )
    timezone: str = Field("UTC", description="IANA time zone of time_of_day, e.g. Europe/Berlin.")
    day_of_week: Weekday | None = Field(None, description="Required with WEEKLY, allowed only with it.")
    # QuickSight accepts days 1-28 (every month has them).
    day_of_month: Annotated[int, Field(ge=1, le=28)] | None = Field(
        None,
        description="Required with MONTHLY, allowed only with it (1-28: every month has them).",
    )

    @field_validator("time_of_day")
    @classmethod
    def _time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be a 24-hour time HH:MM, e.g. '05:00'")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in iana_time_zones():
            raise ValueError("must be an IANA time zone name (case matters), e.g. 'UTC' or 'Europe/Berlin'")
        return value

    @model_validator(mode="after")
    def _day_matches_interval(self):
        if (self.interval == "WEEKLY") != (self.day_of_week is not None):
            raise ValueError("day_of_week is required with interval WEEKLY and allowed only with it")
        if (self.interval == "MONTHLY") != (self.day_of_month is not None):
            raise ValueError("day_of_month is required with interval MONTHLY and allowed only with it")
        return self


class RowLevelSecuritySettings(Section):
    """Rows of a dataset a reader sees, from its rules table `<table>_row_permissions`.

    `columns` maps a dataset to the text columns of its curated table that rules restrict; the
    stage's settings check the names against the datasets (lake_config.models)."""

    enabled: bool = Field(
        False,
        description="Rules tables, rules datasets and GRANT_ACCESS row-level security on the datasets in columns (Enterprise edition).",
    )
    principal_column: Literal["GroupName", "UserName"] = Field("GroupName", description="Whether the rules name groups or users.")
    columns: dict[str, list[str]] = Field(
        {},
        description="Dataset name -> distinct text columns of its curated table that the rules restrict, in CSV order after the principal column, e.g. {\"sales\": [\"country\"]}; required when enabled.",
    )

    @model_validator(mode="after")
    def _columns_when_enabled(self):
        if self.enabled and not self.columns:
            raise ValueError(
                "columns: must map at least one dataset to the text columns its rules restrict when enabled is true, "
                'e.g. {"sales": ["country"]}'
            )
        for dataset, columns in self.columns.items():
            if not columns or len(set(columns)) != len(columns):
                raise ValueError(f"columns.{dataset}: must list distinct column names (got {columns!r})")
        return self


class EmbeddingSettings(Section):
    """Where the dashboards may be embedded (`lakeops quicksight embed-url`); empty: nowhere."""

    allowed_domains: list[str] = Field(
        [],
        description="Up to 3 pages that may embed a dashboard: https://<host>[:port], https://*.<host> or http://localhost[:port]; empty: lakeops quicksight embed-url refuses.",
    )
    # GenerateEmbedUrlForRegisteredUser accepts 15-600 minutes.
    session_lifetime_minutes: Annotated[int, Field(ge=15, le=600)] = Field(60, description="How long an embedded session lasts.")

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_EMBED_DOMAINS or len(set(value)) != len(value):
            raise ValueError(f"must list at most {MAX_EMBED_DOMAINS} distinct domains (QuickSight's limit per embed URL)")
        for domain in value:
            if not EMBED_DOMAIN.fullmatch(domain):
                raise ValueError(
                    f"{domain!r} must be https://<host>[:port] (https://*.<host> for every subdomain) or "
                    "http://localhost[:port], without a path: QuickSight embeds only in HTTPS pages, and localhost"
                )
        return value


class DashboardSettings(Section):
    """The analyses and dashboards of `datasets/<name>/dashboard.json`, one per dataset that has one."""

    enabled: bool = Field(True, description="An analysis and a dashboard for each dataset with a datasets/<name>/dashboard.json.")
    # Readers may download a visual's data as CSV from the published dashboard.
    export_to_csv: bool = Field(
        False,
        description="Readers may export a visual's data to CSV from the dashboard (hidden fields never are).",
    )
    # Forecasts on line charts and insight visuals (autonarratives): Enterprise edition only.
    # Off, the stack leaves both out of the definitions.
    ml_insights: bool = Field(
        True,
        description="Keep the forecasts and insight visuals (autonarratives) of the definitions; false leaves them out (required on STANDARD).",
    )
    embedding: EmbeddingSettings = Field(EmbeddingSettings(), description="Where the dashboards may be embedded.")


class QuickSightSettings(Section):
    """QuickSight is off unless a stage switches it on; on, it needs an owner in the identity region.

    `edition` is the one of the account's subscription; a feature that edition lacks is refused here
    (row-level security, hourly refresh, ML insights and embedding need Enterprise)."""

    enabled: bool = Field(False, description="Off: no QuickSight stack. On: identity_region and owner_principal are required.")
    identity_region: Annotated[str | None, Field(validate_default=True)] = Field(
        None,
        description="Region of the QuickSight users and groups (where you subscribed); must be the region in owner_principal.",
    )
    owner_principal: Annotated[str | None, Field(validate_default=True)] = Field(
        None,
        description="QuickSight user or group ARN in the default namespace of the identity region ({account} is replaced by the deploying account); gets the owner actions on every data source, dataset, analysis and dashboard.",
    )
    # Viewer access to the published dashboards; unset, only the owners see them.
    readers_principal: str | None = Field(
        None,
        description="Same form as owner_principal; gets the viewer actions on every dashboard. Unset: only the owners see them.",
    )
    edition: Edition = Field(
        "ENTERPRISE",
        description="The edition of the account's subscription; STANDARD refuses row-level security, HOURLY refresh, ml_insights and embedding domains.",
    )
    import_mode: Literal["SPICE", "DIRECT_QUERY"] = Field(
        "SPICE",
        description="SPICE: datasets imported into QuickSight's store and refreshed; DIRECT_QUERY: every visual queries Athena.",
    )
    refresh: RefreshSettings = Field(RefreshSettings(), description="When SPICE re-imports each dataset.")
    s3_source: bool = Field(
        True,
        description="Create the S3 data source over quicksight/manifests/files.json; the manifest must be uploaded before deploying.",
    )
    row_level_security: RowLevelSecuritySettings = Field(
        RowLevelSecuritySettings(),
        description="Which rows of a dataset each reader sees.",
    )
    dashboards: DashboardSettings = Field(
        DashboardSettings(),
        description="The analyses and dashboards defined in datasets/<name>/dashboard.json.",
    )

    @field_validator("identity_region")
    @classmethod
    def _region(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("enabled"):
            raise ValueError("is required when quicksight.enabled is true: the region of your QuickSight users and groups")
        if value is not None and not re.fullmatch(REGION_PATTERN, value):
            raise ValueError("must be an AWS region name, e.g. 'us-east-1'")
        return value

    @field_validator("owner_principal")
    @classmethod
    def _owner(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("enabled"):
                raise ValueError(f"is required when quicksight.enabled is true: a QuickSight user or group ARN such as {OWNER_EXAMPLE}")
            return value
        return _principal(value, info, OWNER_EXAMPLE)

    @field_validator("readers_principal")
    @classmethod
    def _readers(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if value is None else _principal(value, info, READERS_EXAMPLE)

    @field_validator("refresh")
    @classmethod
    def _hourly_needs_enterprise(cls, value: RefreshSettings, info: ValidationInfo) -> RefreshSettings:
        if value.interval == "HOURLY":
            _enterprise(info, "interval", "HOURLY", "a Standard account refreshes SPICE at most daily")
        return value

    @field_validator("row_level_security")
    @classmethod
    def _rls_needs_enterprise(cls, value: RowLevelSecuritySettings, info: ValidationInfo) -> RowLevelSecuritySettings:
        if value.enabled:
            _enterprise(info, "enabled", "true", "row-level security is an Enterprise feature")
        return value

    @field_validator("dashboards")
    @classmethod
    def _dashboard_features_need_enterprise(cls, value: DashboardSettings, info: ValidationInfo) -> DashboardSettings:
        if value.enabled and value.ml_insights:
            _enterprise(info, "ml_insights", "true", "forecasts and insights (autonarratives) are ML insights; set ml_insights: false")
        if value.embedding.allowed_domains:
            _enterprise(info, "embedding.allowed_domains", "a domain list", "embedding for registered users is an Enterprise feature")
        return value

    def owner_arn(self, account: str) -> str:
        """The owner principal with `{account}` replaced by `account` (a literal or a token)."""
        return self.owner_principal.replace(ACCOUNT_PLACEHOLDER, account)

    def readers_arn(self, account: str) -> str | None:
        """The readers principal with `{account}` replaced, or None when none is configured."""
        return self.readers_principal.replace(ACCOUNT_PLACEHOLDER, account) if self.readers_principal else None


def _principal(value: str, info: ValidationInfo, example: str) -> str:
    match = OWNER_PRINCIPAL.fullmatch(value)
    if not match:
        raise ValueError(
            "must be a QuickSight user or group ARN in the default namespace, "
            f"arn:aws:quicksight:<identity region>:<account or {ACCOUNT_PLACEHOLDER}>:user|group/default/<name>, e.g. {example}"
        )
    region = info.data.get("identity_region")
    if region and match["region"] != region:
        raise ValueError(
            f"names region {match['region']}, but quicksight.identity_region is {region}: "
            "users and groups live in the identity region"
        )
    return value


def _enterprise(info: ValidationInfo, setting: str, value: str, why: str) -> None:
    """`setting` (relative to the section validated) names where the loader points the error."""
    if info.data.get("edition") == "STANDARD":
        raise ValueError(f"{setting}: {value} needs quicksight.edition ENTERPRISE (the account is STANDARD: {why})")

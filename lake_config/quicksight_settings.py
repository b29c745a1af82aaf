"""Settings of the QuickSight layer: the switch, the owner, and how the sales dataset is served.

Reference: the README (QuickSight), "Configuration reference".
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
# Fixed keys in the curated bucket (the README (QuickSight)): the stack, the docs and the pre-deploy
# check (lakeops.quicksight_check) all read them from here.
S3_MANIFEST_KEY = "quicksight/manifests/files.json"
S3_FILES_PREFIX = "quicksight/files/"
ROW_RULES_PREFIX = "quicksight/row-level-security/sales/"
# Text columns of the curated sales table that row-level rules may restrict.
RESTRICTABLE_COLUMNS = ("category", "channel", "country", "currency", "customer_id", "product_id")


@functools.cache
def iana_time_zones() -> frozenset[str]:
    """Every zone name of the IANA database, from the pinned tzdata package (the same on every machine)."""
    return frozenset(importlib.resources.files("tzdata").joinpath("zones").read_text().split())


Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


class RefreshSettings(Section):
    """When SPICE re-imports the dataset (ignored in DIRECT_QUERY mode, which has nothing to refresh)."""

    interval: Literal["HOURLY", "DAILY", "WEEKLY", "MONTHLY"] = "DAILY"
    # After the nightly crawl (02:00 / 03:00 UTC), so the refresh sees the new partition.
    time_of_day: str = "05:00"
    timezone: str = "UTC"
    day_of_week: Weekday | None = None
    # QuickSight accepts days 1-28 (every month has them).
    day_of_month: Annotated[int, Field(ge=1, le=28)] | None = None

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
    """Rows of the sales dataset a reader sees, from the rules table `sales_row_permissions`."""

    enabled: bool = False
    principal_column: Literal["GroupName", "UserName"] = "GroupName"
    columns: list[str] = ["country"]

    @field_validator("columns")
    @classmethod
    def _restrictable(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value) or not set(value) <= set(RESTRICTABLE_COLUMNS):
            raise ValueError(f"must be distinct names out of {', '.join(RESTRICTABLE_COLUMNS)}")
        return value


class QuickSightSettings(Section):
    """QuickSight is off unless a stage switches it on; on, it needs an owner in the identity region."""

    enabled: bool = False
    identity_region: Annotated[str | None, Field(validate_default=True)] = None
    owner_principal: Annotated[str | None, Field(validate_default=True)] = None
    import_mode: Literal["SPICE", "DIRECT_QUERY"] = "SPICE"
    refresh: RefreshSettings = RefreshSettings()
    s3_source: bool = True
    row_level_security: RowLevelSecuritySettings = RowLevelSecuritySettings()

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
        match = OWNER_PRINCIPAL.fullmatch(value)
        if not match:
            raise ValueError(
                "must be a QuickSight user or group ARN in the default namespace, "
                f"arn:aws:quicksight:<identity region>:<account or {ACCOUNT_PLACEHOLDER}>:user|group/default/<name>, e.g. {OWNER_EXAMPLE}"
            )
        region = info.data.get("identity_region")
        if region and match["region"] != region:
            raise ValueError(
                f"names region {match['region']}, but quicksight.identity_region is {region}: "
                "users and groups live in the identity region"
            )
        return value

    def owner_arn(self, account: str) -> str:
        """The owner principal with `{account}` replaced by `account` (a literal or a token)."""
        return self.owner_principal.replace(ACCOUNT_PLACEHOLDER, account)

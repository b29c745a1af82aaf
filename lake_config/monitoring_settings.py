"""Settings of alarms, notifications, the budget and the dashboard (reference: docs/monitoring.md
and docs/cost.md)."""
import re
from typing import Annotated

from pydantic import Field, field_validator

from lake_config.base import Section

# Regions whose CloudFormation has no AWS::Budgets::Budget (the resource specification cfn-lint
# ships; tests/lake_config/test_monitoring_settings.py keeps this list equal to it).
REGIONS_WITHOUT_BUDGET_RESOURCE = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-3", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "eu-south-2", "il-central-1", "me-central-1", "mx-central-1", "us-gov-east-1", "us-gov-west-1",
)

# What SNS accepts as an e-mail endpoint, in practice: one address, no display name.
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class BudgetSettings(Section):
    """A monthly cost budget on the stage's `project` and `stage` cost-allocation tags."""

    enabled: bool = Field(
        True,
        description="Create the monthly cost budget (false in regions whose CloudFormation has no AWS::Budgets::Budget).",
    )
    monthly_limit_usd: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        40,
        description="The monthly limit in USD the notifications are relative to.",
    )
    # Notified when the month's forecast passes this share of the limit (actual spend: at 100%).
    forecast_threshold_percent: Annotated[int, Field(ge=1, le=1000)] = Field(
        80,
        description="Notify when the month's forecast passes this share of the limit (actual spend: at 100%).",
    )


class MonitoringSettings(Section):
    """Where the stage's alarms and failure notifications go."""

    # Each address gets an SNS confirmation e-mail first; nothing is delivered until it is confirmed.
    notification_emails: list[str] = Field(
        [],
        description="E-mail addresses subscribed to <prefix>-alerts, each once; each must confirm SNS's subscription e-mail first.",
    )
    budget: BudgetSettings = Field(
        BudgetSettings(),
        description="The monthly budget on the stage's project and stage cost-allocation tags.",
    )

    @field_validator("notification_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        if bad := [address for address in value if not EMAIL.fullmatch(address)]:
            raise ValueError(f"{bad[0]!r} is not an e-mail address (one address per entry, e.g. 'data-team@example.com')")
        if duplicates := sorted({address for address in value if value.count(address) > 1}):
            raise ValueError(f"lists {duplicates[0]!r} twice")
        return value

"""A monthly AWS Budgets cost budget on the stage's cost-allocation tags."""
from aws_cdk import aws_budgets as budgets
from constructs import Construct

from lake_config.monitoring_settings import BudgetSettings


class CostBudget(Construct):
    """What the stage costs this month (resources tagged project=<project> and stage=<stage>),
    against `monthly_limit_usd`: the topic hears when the forecast passes the threshold share
    and when actual spend passes the limit.

    The `project` and `stage` tags count only once they are activated as cost-allocation tags
    (Billing console, Cost allocation tags; AWS lists a tag there about a day after it is first
    used). Budgets are free without budget actions.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, project: str, stage: str, settings: BudgetSettings, topic_arn: str) -> None:
        super().__init__(scope, id)
        subscriber = [budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic_arn)]

        def notify(kind: str, percent: int) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
            return budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind, comparison_operator="GREATER_THAN", threshold=percent, threshold_type="PERCENTAGE"
                ),
                subscribers=subscriber,
            )

        def tag(key: str, value: str) -> budgets.CfnBudget.ExpressionProperty:
            return budgets.CfnBudget.ExpressionProperty(
                tags=budgets.CfnBudget.TagValuesProperty(key=key, values=[value], match_options=["EQUALS"])
            )

        self.budget = budgets.CfnBudget(
            self,
            "Resource",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=settings.monthly_limit_usd, unit="USD"),
                # Both tags: a cost-allocation tag filter with two values would be either one.
                filter_expression=budgets.CfnBudget.ExpressionProperty(and_=[tag("project", project), tag("stage", stage)]),
            ),
            notifications_with_subscribers=[
                notify("FORECASTED", settings.forecast_threshold_percent),
                notify("ACTUAL", 100),
            ],
        )
        # The templates are region-agnostic and cfn-lint checks every region; some regions'
        # CloudFormation lacks this type, and a stage pinned to one is refused at synth
        # (lake_config.monitoring_settings.REGIONS_WITHOUT_BUDGET_RESOURCE).
        self.budget.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3006"]}})

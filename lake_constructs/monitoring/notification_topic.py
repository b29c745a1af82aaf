"""The stage's one notification topic, encrypted with the lake key, and what the senders need."""
from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct
from lake_constructs.shared.arns import regional_arn

# What a service needs on the key of an encrypted topic to publish to it (SNS Developer Guide,
# "Enable compatibility between event sources from AWS services and encrypted topics").
PUBLISH_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")


def alarm_arns(prefix: str) -> str:
    """Every alarm of the stage: alarm names start with `<prefix>-`."""
    return regional_arn("cloudwatch", f"alarm:{prefix}-*")


def budget_arns(prefix: str) -> str:
    """The stage's budgets: budget names start with `<prefix>-`."""
    return f"arn:{Aws.PARTITION}:budgets::{Aws.ACCOUNT_ID}:budget/{prefix}-*"


def rule_arns(prefix: str) -> str:
    """Every EventBridge rule of the stage: rule names start with `<prefix>-`."""
    return regional_arn("events", f"rule/{prefix}-*")


def allow_notifications_with_key(key: kms.IKey, prefix: str) -> None:
    """Key-policy statements for the services that publish to the stage's topic without a role.

    CloudWatch (alarms) and AWS Budgets are bound to this account's alarms and budgets with
    aws:SourceAccount and aws:SourceArn. EventBridge gets no such condition: its KMS requests
    for topic delivery carry neither key, so a condition would drop every notification.
    """
    sources = (
        ("cloudwatch.amazonaws.com", "CloudWatch alarms", alarm_arns(prefix)),
        ("budgets.amazonaws.com", "AWS Budgets notifications", budget_arns(prefix)),
    )
    for service, what, source_arn in sources:
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{what.replace(' ', '')}To{prefix.replace('-', '')}Alerts",
                principals=[iam.ServicePrincipal(service)],
                actions=list(PUBLISH_KEY_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}, "ArnLike": {"aws:SourceArn": source_arn}},
            )
        )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=f"EventBridgeRulesTo{prefix.replace('-', '')}Alerts",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=list(PUBLISH_KEY_ACTIONS),
            resources=["*"],
        )
    )


class NotificationTopic(Construct):
    """Where every alarm, failure rule, budget and the cluster sweeper report.

    Secures: messages are encrypted at rest with the lake key and the topic refuses non-TLS
    publishers; its policy lets CloudWatch, AWS Budgets and EventBridge publish only on behalf
    of this account's alarms, budgets and rules of this stage (aws:SourceAccount,
    aws:SourceArn). E-mail subscriptions come from `monitoring.notification_emails`; each
    address must confirm before anything is delivered.
    """

    def __init__(self, scope: Construct, id: str, *, topic_name: str, prefix: str, key: kms.IKey, emails: list[str]) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "Resource", topic_name=topic_name, display_name=f"{prefix} lake alerts", master_key=key, enforce_ssl=True
        )
        for service, source_arn in (
            ("cloudwatch.amazonaws.com", alarm_arns(prefix)),
            ("budgets.amazonaws.com", budget_arns(prefix)),
            ("events.amazonaws.com", rule_arns(prefix)),
        ):
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}, "ArnLike": {"aws:SourceArn": source_arn}},
                )
            )
        # The topic policy the statements above live in: a sender that checks its permission when
        # it is configured (AWS Budgets) must be created after it.
        self.policy = self.topic.node.find_child("Policy")
        for address in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))

"""An encrypted log group that keeps the stage's crawler events, for the dashboard's run times."""
import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct
from lake_constructs.shared.arns import regional_arn


@jsii.implements(events.IRuleTarget)
class _LogGroupTarget:
    """The log group as a rule target; the resource policy below (not CDK's custom resource) lets EventBridge write."""

    def __init__(self, arn: str) -> None:
        self._arn = arn

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._arn)


class EventLog(Construct):
    """Glue crawler state changes of the stage (`<prefix>-` crawlers), kept in CloudWatch Logs.

    Secures: the group is encrypted with the lake key; its resource policy lets EventBridge
    write only for this rule (aws:SourceArn). Costs one of the ten CloudWatch Logs resource
    policies an account has per region.
    """

    def __init__(self, scope: Construct, id: str, *, prefix: str, key: kms.IKey, retention: logs.RetentionDays, retain: bool) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(
            self,
            "Resource",
            log_group_name=f"/aws/events/{prefix}-lake-events",
            encryption_key=key,
            retention=retention,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        rule_name = f"{prefix}-crawler-events"
        group_arn = regional_arn("logs", f"log-group:{self.log_group.log_group_name}")
        policy = logs.ResourcePolicy(
            self,
            "WriteFromEventBridge",
            resource_policy_name=f"{prefix}-lake-events",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("events.amazonaws.com"), iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{group_arn}:*"],
                    conditions={"ArnEquals": {"aws:SourceArn": regional_arn("events", f"rule/{rule_name}")}},
                )
            ],
        )
        self.rule = events.Rule(
            self,
            "Crawlers",
            rule_name=rule_name,
            description=f"Keeps the {prefix} crawlers' state changes for the dashboard.",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Crawler State Change"],
                detail={"crawlerName": [{"prefix": f"{prefix}-"}], "state": ["Succeeded", "Failed"]},
            ),
            targets=[_LogGroupTarget(group_arn)],
        )
        self.rule.node.add_dependency(policy)

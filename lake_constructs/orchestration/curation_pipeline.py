"""The curation pipeline and its cluster sweeper: two Standard state machines with exact permissions."""
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.service_principals import account_scoped_service

# What Step Functions needs to deliver its logs and traces; AWS documents these on Resource "*".
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets")
TRACING_RULE = "AwsSolutions-SF2"


def cluster_arns() -> str:
    return regional_arn("elasticmapreduce", "cluster/*")


def state_machine_arn(name: str) -> str:
    """Deterministic, so the monitoring stack and the key policy name it without a reference."""
    return regional_arn("states", f"stateMachine:{name}")


def execution_arns(name: str) -> str:
    return regional_arn("states", f"execution:{name}:*")


class LoggedStateMachine(Construct):
    """A Standard state machine from CDK states, with its own role, policy and log group.

    Secures: the role trusts Step Functions only for this state machine of this account
    (aws:SourceAccount, aws:SourceArn); its customer-managed policy holds exactly the
    `statements` given plus log delivery (and X-Ray when `tracing`), so CDK writes no inline
    policy; every event, with its input and output, goes to a log group encrypted with `key`
    (nothing secret passes through the states).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        definition: sfn.IChainable,
        comment: str,
        timeout: Duration | None = None,
        statements: list[iam.PolicyStatement],
        key: kms.IKey,
        log_retention: logs.RetentionDays,
        retain_logs: bool,
        tracing: bool,
        description: str,
    ) -> None:
        super().__init__(scope, id)
        self.name = name
        self.arn = state_machine_arn(name)
        # Under /aws/vendedlogs/, so the log delivery's resource policy covers it without growing.
        self.log_group_name = f"/aws/vendedlogs/states/{name}"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=self.log_group_name,
            encryption_key=key,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN if retain_logs else RemovalPolicy.DESTROY,
        )
        delivery = [iam.PolicyStatement(actions=list(LOG_DELIVERY_ACTIONS), resources=["*"])]
        if tracing:
            delivery.append(iam.PolicyStatement(actions=list(XRAY_ACTIONS), resources=["*"]))
        self.policy = iam.ManagedPolicy(self, "Policy", description=description, statements=[*statements, *delivery])
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, "*"),
                reason=f"State machine {name}: Step Functions delivers logs through CloudWatch Logs' log-delivery API "
                f"({', '.join(LOG_DELIVERY_ACTIONS)})" + (f" and traces through X-Ray ({', '.join(XRAY_ACTIONS)})" if tracing else "")
                + ", which AWS documents on Resource '*' only.",
            )
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=account_scoped_service("states.amazonaws.com", self.arn),
            description=description,
            managed_policies=[self.policy],
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Resource",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            comment=comment,
            timeout=timeout,
            # CDK would add log and trace permissions as an inline policy; they are in `policy`.
            role=self.role.without_policy_updates(),
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=tracing,
        )
        self.state_machine.node.add_dependency(self.policy)
        if not tracing:
            Validations.of(self.state_machine).acknowledge(
                Acknowledgment(
                    id=TRACING_RULE,
                    reason=f"State machine {name}: X-Ray tracing is switched off by pipeline.tracing; every state's "
                    "input, output and error is still in the encrypted execution log group.",
                )
            )

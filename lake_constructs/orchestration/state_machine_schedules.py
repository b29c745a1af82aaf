"""EventBridge Scheduler schedules that start state machines, with retries and an encrypted dead-letter queue."""
import json
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from compliance.finding_ids import framework_rule_ids
from lake_config.pipeline_settings import ScheduleSettings
from lake_constructs.shared.arns import regional_arn

DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class ScheduledStart:
    """One schedule: `expression` in `timezone` starts `state_machine_arn` with `input`."""

    name: str
    expression: str
    state_machine_arn: str
    description: str
    timezone: str = "UTC"
    enabled: bool = True
    flexible_window_minutes: int = 0
    retry_attempts: int = 3
    max_event_age_minutes: int = 60
    input: dict | None = None

    @classmethod
    def daily(cls, name: str, state_machine_arn: str, settings: ScheduleSettings, description: str) -> "ScheduledStart":
        return cls(
            name=name,
            expression=settings.cron,
            state_machine_arn=state_machine_arn,
            description=description,
            timezone=settings.timezone,
            enabled=settings.enabled,
            flexible_window_minutes=settings.flexible_window_minutes,
            retry_attempts=settings.retry_attempts,
            max_event_age_minutes=settings.max_event_age_minutes,
        )


class StateMachineSchedules(Construct):
    """Starts state machines on schedules; what Scheduler could not start lands in `dead_letter_queue`.

    Secures: one role, trusted by EventBridge Scheduler only for this account's schedule group,
    that may start exactly the scheduled state machines and send to the dead-letter queue; the
    queue is encrypted with the lake key, refuses non-TLS requests and keeps a failed start for
    14 days (an alarm reports it, see lake_constructs/monitoring).
    """

    def __init__(self, scope: Construct, id: str, *, schedules: list[ScheduledStart], key: kms.IKey, queue_name: str) -> None:
        super().__init__(scope, id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=queue_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=RemovalPolicy.DESTROY,
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter queue of the stage's EventBridge Scheduler schedules; "
                "a queue behind it would receive nothing, and its messages are alarmed on.",
            ),
            *(
                Acknowledgment(
                    id=rule,
                    reason="Dead-letter queue of schedules only: it holds an event only when Scheduler could not start "
                    "the pipeline, which the stage's alarm reports; nothing consumes it automatically.",
                )
                for rule in framework_rule_ids("SQSQueueDLQ")
            ),
        )
        # Scheduler assumes the role as its schedule group: "The value of aws:SourceArn must be your
        # EventBridge Scheduler schedule group ARN ... Do not scope the aws:SourceArn statement to a
        # specific schedule" (Scheduler User Guide, "Confused deputy prevention").
        group_arn = regional_arn("scheduler", f"schedule-group/{DEFAULT_GROUP}")
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Scheduler: start the scheduled state machines, report what failed to start.",
            statements=[
                iam.PolicyStatement(actions=["states:StartExecution"], resources=sorted({s.state_machine_arn for s in schedules})),
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn]),
                # SQS encrypts each message with a data key from the lake key, for the sender.
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"sqs.{Aws.REGION}.amazonaws.com"}},
                ),
            ],
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}, "ArnEquals": {"aws:SourceArn": group_arn}},
            ),
            description="EventBridge Scheduler: starts this stage's state machines.",
            managed_policies=[self.policy],
        )
        self.schedules = {s.name: self._schedule(s) for s in schedules}

    def _schedule(self, start: ScheduledStart) -> scheduler.CfnSchedule:
        window = (
            scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="FLEXIBLE", maximum_window_in_minutes=start.flexible_window_minutes)
            if start.flexible_window_minutes
            else scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF")
        )
        schedule = scheduler.CfnSchedule(
            self,
            start.name,
            name=start.name,
            group_name=DEFAULT_GROUP,
            description=start.description,
            schedule_expression=start.expression,
            schedule_expression_timezone=start.timezone,
            state="ENABLED" if start.enabled else "DISABLED",
            flexible_time_window=window,
            target=scheduler.CfnSchedule.TargetProperty(
                arn=start.state_machine_arn,
                role_arn=self.role.role_arn,
                input=json.dumps(start.input or {}),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=start.retry_attempts,
                    maximum_event_age_in_seconds=start.max_event_age_minutes * 60,
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
            ),
        )
        # Scheduler checks the role's permissions when it first invokes, not at creation; still,
        # a schedule that fires before its policy is attached would dead-letter its first start.
        schedule.node.add_dependency(self.policy)
        return schedule

"""What the stage tells you when it breaks, what it costs, and how it is doing."""
from aws_cdk import Stack
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from lake_config import LakeSettings
from lake_config import pointers
from lake_constructs.monitoring.cost_budget import CostBudget
from lake_constructs.monitoring.event_log import EventLog
from lake_constructs.monitoring.failure_rules import FailureRules, failure_rules
from lake_constructs.monitoring.lake_dashboard import LakeDashboard
from lake_constructs.monitoring.metric_alarms import AlarmSpec, MetricAlarms, athena_queries, idle_cluster, queue_backlog, spice_ingestion_errors
from lake_constructs.monitoring.notification_topic import NotificationTopic, allow_notifications_with_key
from stacks.analytics_stack import AnalyticsStack
from stacks.emr_stack import LOG_PREFIX, EmrStack
from stacks.network_stack import RETENTION
from stacks.pipeline_stack import PipelineStack, topic_name
from stacks.storage_stack import StorageStack, lake_bucket_name


class MonitoringStack(Stack):
    """One SNS topic per stage (encrypted with the lake key) hears about every failure:

    EventBridge rules: a pipeline run failed, timed out or was stopped; an EMR step of the stage
    failed; a cluster of the stage terminated with errors; a crawler of the stage failed.
    CloudWatch alarms: Athena queries failed or were cancelled (the bytes-scanned cap cancels),
    a SPICE ingestion failed, the long-running cluster stayed idle past its idle timeout, the
    schedule could not start the pipeline. The cluster sweeper publishes here when it terminates
    a cluster a run left behind. Plus a monthly cost budget and the stage's dashboard.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        storage: StorageStack,
        analytics: AnalyticsStack,
        quicksight_stack: Stack | None = None,
        emr: EmrStack | None = None,
        pipeline: PipelineStack | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # Not on the QuickSight stack: it is deployed after this one (README, "Deployment order"),
        # and its SPICE alarms need only the data set ids, which are names known at synth.
        for stack in (analytics, pipeline or emr):
            if stack:
                self.add_stack_dependency(stack)
        prefix = settings.prefix
        key = storage.key
        allow_notifications_with_key(key, prefix)
        alerts = NotificationTopic(
            self, "Alerts", topic_name=topic_name(settings), prefix=prefix, key=key, emails=settings.monitoring.notification_emails
        )
        self.topic = alerts.topic
        log_uri = f"s3://{lake_bucket_name(settings, 'logs')}/{LOG_PREFIX}"
        runs = {}
        if pipeline:
            machines = [pipeline.pipeline] + ([pipeline.sweeper] if pipeline.sweeper else [])
            runs = {"state_machines": [m.arn for m in machines], "pipeline_log_group": pipeline.pipeline.log_group_name}
        rules = failure_rules(prefix, log_uri=log_uri, **runs)
        self.failure_rules = FailureRules(self, "Failures", topic=self.topic, rules=rules)
        self.alarms = MetricAlarms(
            self, "Alarms", topic=self.topic, specs=self._alarms(settings, analytics, quicksight_stack, emr, pipeline, log_uri)
        )
        budget = settings.monitoring.budget
        if budget.enabled:
            self.budget = CostBudget(
                self, "Budget", name=f"{prefix}-monthly", project=settings.project, stage=settings.stage, settings=budget, topic_arn=self.topic.topic_arn
            )
            # Budgets checks that it may publish to the topic when the notification is created.
            self.budget.node.add_dependency(alerts.policy)
        self.event_log = EventLog(
            self, "Events", prefix=prefix, key=key, retention=RETENTION[settings.pipeline.log_retention_days], retain=settings.retain_data
        )
        variables = {"WorkGroup": analytics.workgroup.name, "EventsLogGroup": self.event_log.log_group.log_group_name}
        if pipeline:
            variables |= {"PipelineArn": pipeline.pipeline.arn, "PipelineLogGroup": pipeline.pipeline.log_group_name}
        self.dashboard = LakeDashboard(
            self, "Dashboard", name=prefix, variables=variables, available={"pipeline"} if pipeline else set()
        )

    @staticmethod
    def _alarms(
        settings: LakeSettings, analytics: AnalyticsStack, quicksight_stack: Stack | None, emr: EmrStack | None,
        pipeline: PipelineStack | None, log_uri: str,
    ) -> list[AlarmSpec]:
        prefix = settings.prefix
        workgroup = analytics.workgroup.name
        cutoff = str(settings.analytics.bytes_scanned_cutoff_mb)
        specs = [
            AlarmSpec(
                name=f"{prefix}-athena-queries-failed",
                description=pointers.ATHENA_QUERIES.format(workgroup=workgroup, what="failed", minutes=5, cutoff_mb=cutoff),
                metric=athena_queries(workgroup, "FAILED"),
            ),
            AlarmSpec(
                name=f"{prefix}-athena-queries-cancelled",
                description=pointers.ATHENA_QUERIES.format(workgroup=workgroup, what="were cancelled", minutes=5, cutoff_mb=cutoff),
                metric=athena_queries(workgroup, "CANCELED"),
            ),
        ]
        for data_set in _spice_data_sets(quicksight_stack):
            specs.append(
                AlarmSpec(
                    name=f"{prefix}-spice-ingestion-failed-{data_set}",
                    description=pointers.SPICE_INGESTION.format(dataset_id=data_set),
                    metric=spice_ingestion_errors(data_set),
                )
            )
        if emr and emr.cluster.cluster and settings.emr.auto_termination_seconds:
            idle = settings.emr.auto_termination_seconds
            metric, periods = idle_cluster(emr.cluster.cluster.ref, idle)
            specs.append(
                AlarmSpec(
                    name=f"{prefix}-cluster-idle-past-timeout",
                    description=pointers.CLUSTER_IDLE.format(cluster_id=emr.cluster.cluster.ref, idle_seconds=idle, log_uri=log_uri),
                    metric=metric,
                    evaluation_periods=periods,
                )
            )
        if pipeline:
            queue = pipeline.schedules.dead_letter_queue
            specs.append(
                AlarmSpec(
                    name=f"{prefix}-schedule-start-failed",
                    description=pointers.SCHEDULE_FAILED.format(
                        state_machine=pipeline.pipeline.name, queue=queue.queue_name, queue_url=queue.queue_url
                    ),
                    metric=queue_backlog(queue.queue_name),
                )
            )
        return specs


def _spice_data_sets(stack: Stack | None) -> list[str]:
    """The SPICE datasets the QuickSight stack declares, whatever it calls them."""
    if stack is None:
        return []
    found = []
    for construct in stack.node.find_all():
        if isinstance(construct, quicksight.CfnDataSet) and construct.import_mode == "SPICE":
            found.append(construct.data_set_id)
    return sorted(found)

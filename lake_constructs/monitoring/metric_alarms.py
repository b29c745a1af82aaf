"""CloudWatch alarms on the metrics AWS publishes for the lake, each describing where to look."""
import math
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

# Athena publishes one metric series per query type; an alarm must name each.
ATHENA_QUERY_TYPES = ("DML", "DDL")
FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class AlarmSpec:
    """An alarm: `metric` compared with `threshold` (GREATER_THAN_OR_EQUAL_TO) over `evaluation_periods`."""

    name: str
    description: str
    metric: cloudwatch.IMetric
    threshold: float = 1
    evaluation_periods: int = 1
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    # No data means nothing happened (no query, no ingestion, no idle report).
    missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING


def athena_queries(workgroup: str, state: str) -> cloudwatch.IMetric:
    """How many queries of `workgroup` ended in `state` (FAILED or CANCELED, as the metric spells it)."""
    metrics = {
        query_type.lower(): cloudwatch.Metric(
            namespace="AWS/Athena",
            metric_name="TotalExecutionTime",
            dimensions_map={"WorkGroup": workgroup, "QueryState": state, "QueryType": query_type},
            statistic="SampleCount",
            period=FIVE_MINUTES,
        )
        for query_type in ATHENA_QUERY_TYPES
    }
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in metrics), using_metrics=metrics, label=f"{state} queries", period=FIVE_MINUTES
    )


def spice_ingestion_errors(data_set_id: str) -> cloudwatch.IMetric:
    return cloudwatch.Metric(
        namespace="AWS/QuickSight",
        metric_name="IngestionErrorCount",
        dimensions_map={"DatasetId": data_set_id},
        statistic="Sum",
        period=FIVE_MINUTES,
    )


def idle_cluster(cluster_id: str, idle_timeout_seconds: int) -> tuple[cloudwatch.IMetric, int]:
    """EMR's IsIdle (1 while the cluster does no work), minimum per period, and how many periods
    of it mean "idle past the timeout" (the timeout plus one period of slack). CloudWatch allows
    an evaluation range of one day with periods under an hour, seven days with hourly ones."""
    period = 300 if idle_timeout_seconds + 300 <= 86400 else 3600
    periods = math.ceil(idle_timeout_seconds / period) + 1
    metric = cloudwatch.Metric(
        namespace="AWS/ElasticMapReduce",
        metric_name="IsIdle",
        dimensions_map={"JobFlowId": cluster_id},
        statistic="Minimum",
        period=Duration.seconds(period),
    )
    return metric, periods


def queue_backlog(queue_name: str) -> cloudwatch.IMetric:
    return cloudwatch.Metric(
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions_map={"QueueName": queue_name},
        statistic="Maximum",
        period=FIVE_MINUTES,
    )


class MetricAlarms(Construct):
    """The alarms of `specs`, each notifying `topic` when it goes into ALARM."""

    def __init__(self, scope: Construct, id: str, *, topic: sns.ITopic, specs: list[AlarmSpec]) -> None:
        super().__init__(scope, id)
        self.alarms = {}
        for spec in specs:
            alarm = cloudwatch.Alarm(
                self,
                spec.name,
                alarm_name=spec.name,
                alarm_description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                evaluation_periods=spec.evaluation_periods,
                comparison_operator=spec.comparison,
                treat_missing_data=spec.missing,
            )
            alarm.add_alarm_action(actions.SnsAction(topic))
            self.alarms[spec.name] = alarm

"""EventBridge rules that turn a failure event into a notification saying what failed and where to look."""
from dataclasses import dataclass
from typing import Mapping, Sequence

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from constructs import Construct

from lake_config import pointers


@dataclass(frozen=True)
class FailureRule:
    """`pattern` selects the events; `message` is a lake_config.pointers template whose fields come from
    `fields` (a JSON path into the event, `$.detail...`) or `literals` (fixed text)."""

    name: str
    description: str
    pattern: events.EventPattern
    message: str
    fields: Mapping[str, str]
    literals: Mapping[str, str]


def failure_rules(
    prefix: str, *, log_uri: str, state_machines: Sequence[str] = (), pipeline_log_group: str | None = None
) -> list[FailureRule]:
    """The stage's rules: failed EMR steps and clusters and failed crawlers of the stage (by the
    `prefix` their names start with), and, with `state_machines`, their runs that did not succeed."""
    rules = [
        FailureRule(
            name=f"{prefix}-emr-step-failed",
            description=f"An EMR step of {prefix} failed.",
            pattern=events.EventPattern(
                source=["aws.emr"], detail_type=["EMR Step Status Change"], detail={"state": ["FAILED"], "name": [{"prefix": f"{prefix}-"}]}
            ),
            message=pointers.STEP_FAILED,
            fields={"step_name": "$.detail.name", "step_id": "$.detail.stepId", "cluster_id": "$.detail.clusterId",
                    "state": "$.detail.state", "message": "$.detail.message"},
            literals={"log_uri": log_uri},
        ),
        FailureRule(
            name=f"{prefix}-emr-cluster-failed",
            description=f"An EMR cluster of {prefix} terminated with errors.",
            pattern=events.EventPattern(
                source=["aws.emr"], detail_type=["EMR Cluster State Change"], detail={"state": ["TERMINATED_WITH_ERRORS"], "name": [prefix]}
            ),
            message=pointers.CLUSTER_FAILED,
            fields={"cluster_name": "$.detail.name", "cluster_id": "$.detail.clusterId", "state": "$.detail.state", "message": "$.detail.message"},
            literals={"log_uri": log_uri},
        ),
        FailureRule(
            name=f"{prefix}-crawler-failed",
            description=f"A Glue crawler of {prefix} failed.",
            pattern=events.EventPattern(
                source=["aws.glue"], detail_type=["Glue Crawler State Change"], detail={"state": ["Failed"], "crawlerName": [{"prefix": f"{prefix}-"}]}
            ),
            message=pointers.CRAWLER_FAILED,
            fields={"crawler": "$.detail.crawlerName", "state": "$.detail.state", "message": "$.detail.errorMessage",
                    "log_link": "$.detail.cloudWatchLogLink"},
            literals={},
        ),
    ]
    if state_machines:
        rules.append(FailureRule(
            name=f"{prefix}-pipeline-run-failed",
            description=f"A {prefix} pipeline (or sweeper) run failed, timed out or was stopped.",
            pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": list(state_machines), "status": ["FAILED", "TIMED_OUT", "ABORTED"]},
            ),
            message=pointers.RUN_ENDED,
            fields={"execution_name": "$.detail.name", "state_machine": "$.detail.stateMachineArn", "status": "$.detail.status",
                    "execution_arn": "$.detail.executionArn"},
            literals={"log_group": pipeline_log_group},
        ))
    return rules


@jsii.implements(events.IRuleTarget)
class _TopicWithMessage:
    """The topic as a target, without the unconditioned topic-policy grant CDK's SnsTopic target
    adds: NotificationTopic's own statement lets EventBridge publish for this stage's rules only."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic, self._message = topic, message

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


def notification_text(rule: FailureRule) -> str:
    """The rule's message with every field an EventBridge placeholder (and the literals in place)."""
    values = {**rule.literals, **{name: events.EventField.from_path(path) for name, path in rule.fields.items()}}
    missing = set(pointers.fields(rule.message)) - set(values)
    if missing:
        raise ValueError(f"rule {rule.name}: no value for {', '.join(sorted(missing))}")
    return rule.message.format(**values)


class FailureRules(Construct):
    """One EventBridge rule per kind of failure, each notifying `topic` with its own message.

    The messages are the CLI's (lake_config/pointers.py), filled from the event by an input
    transformer: the step's log prefix, the command that shows the details, the crawler's log.
    """

    def __init__(self, scope: Construct, id: str, *, topic: sns.ITopic, rules: list[FailureRule]) -> None:
        super().__init__(scope, id)
        self.rules = {}
        for rule in rules:
            self.rules[rule.name] = events.Rule(
                self,
                rule.name,
                rule_name=rule.name,
                description=rule.description,
                event_pattern=rule.pattern,
                targets=[_TopicWithMessage(topic, events.RuleTargetInput.from_text(notification_text(rule)))],
            )

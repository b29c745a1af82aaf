"""EventBridge rules that turn a failure event into a notification saying what failed and where to look."""
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from constructs import Construct

from lake_config import pointers
from lake_constructs.shared.json_templates import fill, load

RULES = Path(__file__).resolve().parent / "failure_rules.json"


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


def load_failure_rules(values: Mapping[str, Any], available: set[str]) -> list[FailureRule]:
    """failure_rules.json filled with `values`, without the rules whose `requires` is not `available`."""
    rules = []
    for entry in load(RULES):
        if entry.pop("requires", None) not in (None, *available):
            continue
        entry = fill(entry, values)
        pattern = entry["pattern"]
        rules.append(
            FailureRule(
                name=entry["name"],
                description=entry["description"],
                pattern=events.EventPattern(source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]),
                message=getattr(pointers, entry["message"]),
                fields=entry["fields"],
                literals=entry["literals"],
            )
        )
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

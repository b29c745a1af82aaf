"""AWS's side of every notification the stage sends to its topic, from the synthesized senders.

Each alarm and budget is read from the monitoring template: its own name gives the source ARN
the service presents (aws:SourceArn), and its own subscriber or action names the topic. The
topic policy and the lake key's policy must let the service publish and encrypt for exactly
that source; a renamed alarm or budget fails here, not in an account.

* AWS Budgets: "Your budget must have permissions to send a notification to your topic", with
  the topic policy statement for "budgets.amazonaws.com" conditioned on aws:SourceAccount and
  aws:SourceArn arn:aws:budgets::<account-id>:* (AWS Cost Management User Guide, "Creating an
  Amazon SNS topic for budget notifications",
  https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html). Budgets
  checks that permission when the notification is created (the page lists the errors it
  returns then), so CloudFormation must create the budget after the topic policy: DependsOn.
* CloudWatch alarms publish as "cloudwatch.amazonaws.com" with aws:SourceArn = the alarm's ARN
  (arn:aws:cloudwatch:<region>:<account>:alarm:<name>; CloudWatch User Guide, "Confused deputy
  prevention"); an encrypted topic needs the key to allow the service kms:GenerateDataKey* and
  kms:Decrypt (SNS Developer Guide, "Enable compatibility between event sources from AWS services
  and encrypted topics").
"""
import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render
from tests.orchestration.harness import all_templates

KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


@pytest.fixture(scope="module", params=["dev", "prod", "ephemeral"])
def synth(request):
    return request.getfixturevalue(request.param)


def monitoring(synth) -> dict:
    return synth.template_json("monitoring")


def of_type(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def key_policy(synth) -> dict:
    storage = synth.template_json("storage")
    (key,) = of_type(storage, "AWS::KMS::Key").values()
    return render(key["Properties"]["KeyPolicy"], storage)


def topic_policies(template: dict) -> dict[str, tuple[list[str], dict]]:
    """{logical id: (topic ARNs it covers, its document)} of every topic policy, rendered."""
    return {
        k: (render(r["Properties"]["Topics"], template), render(r["Properties"]["PolicyDocument"], template))
        for k, r in of_type(template, "AWS::SNS::TopicPolicy").items()
    }


def senders(synth) -> list[tuple[str, str, str, list[str], list[str]]]:
    """(logical id, service, source ARN, topic ARNs it notifies, DependsOn) of each alarm and budget."""
    template = monitoring(synth)
    stacks = all_templates(synth)
    found = []
    for logical_id, alarm in of_type(template, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        name = render(props["AlarmName"], template, stacks=stacks)
        topics = [render(a, template) for a in props.get("AlarmActions", []) + props.get("OKActions", [])]
        found.append((logical_id, "cloudwatch.amazonaws.com", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}", topics,
                      alarm.get("DependsOn", [])))
    for logical_id, budget in of_type(template, "AWS::Budgets::Budget").items():
        props = budget["Properties"]
        name = render(props["Budget"]["BudgetName"], template)
        topics = [render(s["Address"], template) for n in props.get("NotificationsWithSubscribers", [])
                  for s in n["Subscribers"] if s["SubscriptionType"] == "SNS"]
        depends = budget.get("DependsOn", [])
        found.append((logical_id, "budgets.amazonaws.com", f"arn:aws:budgets::{ACCOUNT}:budget/{name}", topics,
                      [depends] if isinstance(depends, str) else depends))
    return found


def test_every_alarm_and_budget_may_publish_to_its_topic_for_its_own_name_only(synth):
    template = monitoring(synth)
    policies = topic_policies(template)
    found = senders(synth)
    assert any(service == "cloudwatch.amazonaws.com" for _, service, *_ in found)
    assert any(service == "budgets.amazonaws.com" for _, service, *_ in found) == synth.settings.monitoring.budget.enabled
    for logical_id, service, source, topics, _ in found:
        assert topics, f"{logical_id} notifies nobody"
        call = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": source, "aws:SecureTransport": "true"}
        for topic in topics:
            documents = [document for covered, document in policies.values() if topic in covered]
            assert allows(documents, "sns:Publish", topic, call, principal=service), (logical_id, source)
            foreign = call | {"aws:SourceArn": source.replace(synth.settings.prefix, "otherlake-qa"), "aws:SourceAccount": ACCOUNT}
            assert not allows(documents, "sns:Publish", topic, foreign, principal=service), logical_id
        for action in KEY_ACTIONS:
            assert allows([key_policy(synth)], action, "*", call, principal=service), (logical_id, action)


def test_each_budget_is_created_after_the_topic_policy_that_lets_budgets_publish(synth):
    template = monitoring(synth)
    policies = topic_policies(template)
    budgets = [s for s in senders(synth) if s[1] == "budgets.amazonaws.com"]
    for logical_id, service, source, topics, depends_on in budgets:
        call = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": source, "aws:SecureTransport": "true"}
        needed = {k for k, (covered, document) in policies.items()
                  if any(t in covered and allows([document], "sns:Publish", t, call, principal=service) for t in topics)}
        assert needed and needed <= set(depends_on), (logical_id, needed, depends_on)
